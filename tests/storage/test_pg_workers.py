"""Several workers on one PostgreSQL database: each has its own store, and they never trip over each other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.errors import AlreadyClaimed
from bot.referrals.model import ReferralStatus
from bot.storage.base import DeliveryOutcome
from bot.storage.memory import MemoryStore
from bot.storage.postgres import PostgresStore
from tests.storage.test_contract import LEASE, at, digest, outgoing, referral, session

WORKERS = 2


@pytest.fixture
async def workers(pg_url: str) -> AsyncIterator[list[PostgresStore]]:
    """Two opened stores on the same new database, as two worker processes would have."""
    stores = [PostgresStore(pg_url, pool_size=4) for _ in range(WORKERS)]
    for store in stores:
        await store.open()
    yield stores
    for store in stores:
        await store.close()


async def test_a_person_held_by_one_worker_waits_for_the_other(workers: list[PostgresStore]) -> None:
    await workers[0].save_session(session("u1", data={"count": 0}))

    async def add_one(store: PostgresStore) -> None:
        # What the engine does with a turn: load, change, save, all while holding the person.
        async with store.person("telegram", "u1"):
            loaded = await store.get_session("telegram", "u1")
            assert loaded is not None
            await asyncio.sleep(0)  # let the other worker try to read meanwhile
            await store.save_session(replace(loaded, data={"count": loaded.data["count"] + 1}))

    await asyncio.gather(*(add_one(workers[n % WORKERS]) for n in range(60)))
    kept = await workers[1].get_session("telegram", "u1")
    assert kept is not None and kept.data == {"count": 60}, "no turn's change was lost"


async def test_different_people_are_not_held_by_each_other(workers: list[PostgresStore]) -> None:
    first, second = workers
    # Would wait for ever (until the hold times out) if u2 were held with u1.
    async with first.person("telegram", "u1"), second.person("telegram", "u2"):
        await second.save_session(session("u2"))
    assert await first.get_session("telegram", "u2") == session("u2")


async def test_a_person_is_let_go_when_the_turn_fails(workers: list[PostgresStore]) -> None:
    first, second = workers
    with pytest.raises(RuntimeError):
        async with first.person("telegram", "u1"):
            raise RuntimeError("a journey failed")
    async with second.person("telegram", "u1"):
        await second.save_session(session("u1"))


async def test_stores_only_one_process_writes_hold_nothing() -> None:
    store = MemoryStore()
    async with store.person("telegram", "u1"), store.person("telegram", "u1"):
        pass


async def test_each_reply_is_claimed_by_one_worker_and_each_chat_keeps_its_order(
    workers: list[PostgresStore],
) -> None:
    people = [f"u{n}" for n in range(5)]
    queued = [outgoing(f"{p} #{k}", p) for k in range(12) for p in people]
    await workers[0].enqueue(queued)
    sent: list[tuple[str, int]] = []  # (text, id) in the order the workers sent them

    async def serve(store: PostgresStore, name: str) -> None:
        while True:
            claimed = await store.claim_outbox("telegram", name, at(0), LEASE, limit=8)
            if not claimed:
                if await store.outbox_counts("telegram") == {"sent": len(queued)}:
                    return
                await asyncio.sleep(0.01)
                continue
            for message in claimed:
                sent.append((message.outgoing.reply.text, message.id))
                await asyncio.sleep(0)
                await store.finish_outbox(message.id, DeliveryOutcome.SENT, at(0))

    await asyncio.wait_for(asyncio.gather(*(serve(s, f"w{n}") for n, s in enumerate(workers))), 60)
    assert sorted(text for text, _ in sent) == sorted(o.reply.text for o in queued), "each sent once"
    for person in people:
        order = [text for text, _ in sent if text.startswith(f"{person} #")]
        assert order == [f"{person} #{k}" for k in range(12)], f"{person}'s replies kept their order"


async def test_two_digest_runs_at_once_send_each_person_once(workers: list[PostgresStore]) -> None:
    for n in range(20):
        await workers[0].add_referral(referral(f"r{n}", f"u{n}"))
    ids = [f"r{n}" for n in range(20)]
    outcomes = await asyncio.gather(
        *(workers[n % WORKERS].start_digest(digest(f"d{n}", "p-sheffield", *ids)) for n in range(6)),
        return_exceptions=True,
    )
    started = [o for o in outcomes if o is None]
    assert len(started) == 1
    assert all(isinstance(o, AlreadyClaimed) for o in outcomes if o is not None)
    (unfinished,) = await workers[1].unfinished_digests()
    await workers[1].finish_digest(unfinished.digest_id, at(1))
    referrals = await workers[0].referrals_by_id(ids)
    assert {r.status for r in referrals} == {ReferralStatus.SENT}
    assert await workers[0].pending_referrals() == []
