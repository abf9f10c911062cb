"""Group commit: items saved while a write is under way are written together in the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")

# Writes a batch in one transaction; it raises if nothing in the batch was kept.
WriteAll = Callable[[Sequence[Item]], Awaitable[None]]


class GroupWriter(Generic[Item]):
    """Saves items so that each caller returns only once its item is committed, sharing commits when busy.

    When nothing is being written, an item is written at once by its own caller, so a quiet bot pays no
    delay. Items that arrive during that write wait, and are then written together, in arrival order, in
    one transaction: with many people at once, their turns share one commit instead of queueing for a
    commit each. If a batch fails, its items are tried again one by one so that one bad item fails only
    its own caller; when the failure is the database itself (locked, full), retry_alone says
    not to, and every caller in the batch gets the error at once rather than waiting for the lock again.
    """

    def __init__(self, write_all: WriteAll[Item], retry_alone: Callable[[BaseException], bool]) -> None:
        self._write_all = write_all
        self._retry_alone = retry_alone
        self._waiting: list[tuple[Item, asyncio.Future[None]]] = []
        self._draining: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def _busy(self) -> bool:
        return not self._idle.is_set()

    async def save(self, item: Item) -> None:
        """Returns once the item is committed; raises what the write raised if it was not."""
        if self._busy:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append((item, done))
            await done
            return
        self._idle.clear()
        try:
            await self._write_all((item,))
        finally:
            self._carry_on()

    async def wait_idle(self) -> None:
        """Returns once every item handed in so far has been written or has failed."""
        await self._idle.wait()

    def _carry_on(self) -> None:
        """Starts writing what queued up meanwhile, or marks the writer free."""
        if self._waiting:
            self._draining = asyncio.create_task(self._drain())
        else:
            self._idle.set()

    async def _drain(self) -> None:
        batch: list[tuple[Item, asyncio.Future[None]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._write_batch(batch)
        finally:
            self._idle.set()
            # Stopped part way (the loop is shutting down): nobody is left to write these, so say so.
            for _, done in (*batch, *self._waiting):
                if not done.done():
                    done.cancel()
            self._waiting = []

    async def _write_batch(self, batch: list[tuple[Item, asyncio.Future[None]]]) -> None:
        try:
            await self._write_all([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1 or not self._retry_alone(exc):
                for _, done in batch:
                    _settle(done, exc)
                return
            for item, done in batch:
                await self._write_one(item, done)
            return
        for _, done in batch:
            _settle(done, None)

    async def _write_one(self, item: Item, done: asyncio.Future[None]) -> None:
        try:
            await self._write_all((item,))
        except Exception as exc:
            _settle(done, exc)
        else:
            _settle(done, None)


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    """Hands a caller its outcome, unless it stopped waiting (cancelled)."""
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
