"""Group commit: who writes when, what goes in one batch, and who hears of a failure."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.storage.batching import GroupWriter


class Disk:
    """Records each batch written; the first write can be held open, and some items refuse to be written."""

    def __init__(self, refuse: frozenset[str] = frozenset(), whole_disk_fails: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.hold = asyncio.Event()
        self.hold.set()
        self.refuse = refuse
        self.whole_disk_fails = whole_disk_fails

    async def write(self, items: Sequence[str]) -> None:
        await self.hold.wait()
        if self.whole_disk_fails:
            raise OSError("disk full")
        if self.refuse & set(items):
            raise ValueError("cannot write " + ", ".join(sorted(self.refuse & set(items))))
        self.batches.append(list(items))


def writer(disk: Disk) -> GroupWriter[str]:
    """A writer onto the disk that retries one by one unless the whole disk failed."""
    return GroupWriter(disk.write, lambda error: not isinstance(error, OSError))


async def crowd(group: GroupWriter[str], disk: Disk, *others: str) -> list[BaseException | None]:
    """Saves "first" on a held disk, queues the others behind it, lets the disk go; returns each outcome."""
    disk.hold.clear()
    first = asyncio.create_task(group.save("first"))
    await asyncio.sleep(0)
    queued = [asyncio.create_task(group.save(name)) for name in others]
    await asyncio.sleep(0)
    assert not any(task.done() for task in [first, *queued]), "nobody returns before the disk has written"
    disk.hold.set()
    return await asyncio.gather(first, *queued, return_exceptions=True)


async def test_a_quiet_writer_writes_each_item_at_once_by_itself() -> None:
    disk = Disk()
    group = writer(disk)
    await group.save("a")
    await group.save("b")
    assert disk.batches == [["a"], ["b"]]


async def test_items_arriving_during_a_write_share_the_next_one_in_order() -> None:
    disk = Disk()
    assert await crowd(writer(disk), disk, "b", "c", "d") == [None] * 4
    assert disk.batches == [["first"], ["b", "c", "d"]]


async def test_a_bad_item_fails_only_its_own_caller() -> None:
    disk = Disk(refuse=frozenset({"c"}))
    results = await crowd(writer(disk), disk, "b", "c", "d")
    assert [type(r).__name__ for r in results] == ["NoneType", "NoneType", "ValueError", "NoneType"]
    assert disk.batches == [["first"], ["b"], ["d"]]


async def test_a_failing_disk_fails_the_whole_batch_without_retrying_each() -> None:
    disk = Disk(whole_disk_fails=True)
    calls = 0
    real_write = disk.write

    async def counted(items: Sequence[str]) -> None:
        nonlocal calls
        calls += 1
        await real_write(items)

    group: GroupWriter[str] = GroupWriter(counted, lambda error: not isinstance(error, OSError))
    results = await crowd(group, disk, "b", "c", "d")
    assert all(isinstance(r, OSError) for r in results)
    assert calls == 2


async def test_wait_idle_returns_only_after_everything_handed_in_is_written() -> None:
    disk = Disk()
    group = writer(disk)
    disk.hold.clear()
    tasks = [asyncio.create_task(group.save(str(n))) for n in range(5)]
    await asyncio.sleep(0)
    idle = asyncio.create_task(group.wait_idle())
    await asyncio.sleep(0)
    assert not idle.done()
    disk.hold.set()
    await idle
    assert sorted(item for batch in disk.batches for item in batch) == ["0", "1", "2", "3", "4"]
    await asyncio.gather(*tasks)


async def test_a_caller_that_stops_waiting_does_not_stop_the_others() -> None:
    disk = Disk()
    group = writer(disk)
    disk.hold.clear()
    first = asyncio.create_task(group.save("first"))
    await asyncio.sleep(0)
    leaving = asyncio.create_task(group.save("leaving"))
    staying = asyncio.create_task(group.save("staying"))
    await asyncio.sleep(0)
    leaving.cancel()
    disk.hold.set()
    await asyncio.gather(first, staying)
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert disk.batches == [["first"], ["leaving", "staying"]]
