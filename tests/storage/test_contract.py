"""The Store contract, run against every backend: memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.core.session import Session
from bot.core.types import Attachment, Button, Reply, Status
from bot.errors import AlreadyAccepted, AlreadyClaimed, StorageError
from bot.referrals.model import Referral, ReferralStatus
from bot.storage.base import DeliveryOutcome, DigestRecord, FeedbackRecord, Outgoing, Store, TurnRecord
from bot.storage.memory import MemoryStore
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    """A time some hours after T0."""
    return T0 + timedelta(hours=hours)


def session(user_id: str = "u1", channel: str = "telegram", *, created: float = 0, **fields: Any) -> Session:
    """A session created (and last updated) some hours after T0."""
    fields.setdefault("updated_at", at(created))
    return Session(channel=channel, user_id=user_id, created_at=at(created), **fields)


def turn(
    user_id: str = "u1", hours: float = 0, text: str = "is the bursary taxed?", **fields: Any
) -> TurnRecord:
    """A logged turn some hours after T0."""
    values: dict[str, Any] = {
        "channel": "telegram",
        "payload": None,
        "status": "answered",
        "entry": "bursary-tax",
        "topic": "bursary_amounts",
        "score": 0.91,
        "journey": None,
        "campaign": "autumn",
    }
    values.update(fields)
    return TurnRecord(user_id=user_id, at=at(hours), text=text, **values)


def referral(rid: str, user_id: str = "u1", provider: str = "p-sheffield", hours: float = 0) -> Referral:
    """A pending referral consented some hours after T0."""
    return Referral(
        id=rid,
        channel="telegram",
        user_id=user_id,
        provider_id=provider,
        name=f"Person {user_id}",
        email=f"{user_id}@example.org",
        phone=None,
        telegram_handle=f"@{user_id}",
        preferences={"subjects": ["physics", "maths"], "phase": "secondary", "near": {"district": "S10"}},
        campaign=None,
        consent_version="2026-09",
        consented_at=at(hours),
        extra={"note": "café"},
    )


def digest(did: str, provider: str, *referral_ids: str, hours: float = 0) -> DigestRecord:
    """A digest ledger row, started some hours after T0 and not yet finished."""
    return DigestRecord(did, provider, tuple(referral_ids), at(hours), None, 0, None, None)


def feedback(user_id: str = "u1", hours: float = 0, helpful: bool = True) -> FeedbackRecord:
    """A thumbs up or down some hours after T0."""
    return FeedbackRecord("telegram", user_id, "bursary-tax", helpful, at(hours))


async def new_store(kind: str, folder: Path, request: pytest.FixtureRequest) -> Store:
    """An opened, empty store of the given kind (a PostgreSQL one in a new database of the test cluster)."""
    store: Store
    if kind == "memory":
        store = MemoryStore()
    elif kind == "postgres":
        store = PostgresStore(request.getfixturevalue("pg_url"), pool_size=4)
    else:
        path = folder / "data" / "bot.sqlite3"
        store = SqliteStore(path, remember_sessions=kind == "sqlite-remembering")
    await store.open()
    return store


@pytest.fixture(params=["memory", "sqlite", "sqlite-remembering", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An opened, empty store of each backend in turn."""
    opened = await new_store(request.param, tmp_path, request)
    yield opened
    await opened.close()


# Sessions


async def test_someone_new_has_no_session(store: Store) -> None:
    assert await store.get_session("telegram", "nobody") is None


async def test_session_round_trips_with_every_field(store: Store) -> None:
    saved = session(
        journey="preferences",
        step="subject",
        data={"profile": {"subjects": ["physics"], "distance_km": 25}, "seen": [1, 2]},
        campaign="sy-autumn",
        active=False,
    )
    await store.save_session(saved)
    assert await store.get_session("telegram", "u1") == saved


async def test_session_times_come_back_in_utc(store: Store) -> None:
    british_summer = timezone(timedelta(hours=1))
    local = datetime(2026, 7, 1, 10, 30, 15, 250, tzinfo=british_summer)
    await store.save_session(Session("telegram", "u1", created_at=local, updated_at=local))
    loaded = await store.get_session("telegram", "u1")
    assert loaded is not None
    assert loaded.created_at == local
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert loaded.updated_at.tzinfo is not None


async def test_save_turn_keeps_the_session_and_the_turn(store: Store) -> None:
    saved = session("u1", journey="pref", step="travel")
    await store.save_turn(saved, turn("u1", 1, text="about 15 miles"))
    await store.save_turn(replace(saved, step="degree"), turn("u1", 2, text="2:1"))
    assert (await store.get_session("telegram", "u1")) == replace(saved, step="degree")
    logged = await store.turns_between(at(0), at(3))
    assert [t.text for t in logged] == ["about 15 miles", "2:1"]


async def test_saving_replaces_the_earlier_session(store: Store) -> None:
    await store.save_session(session(journey="ask", data={"a": 1}))
    later = session(journey="refer", step="consent", data={"b": 2}, updated_at=at(5))
    await store.save_session(later)
    assert await store.get_session("telegram", "u1") == later


async def test_sessions_are_kept_per_channel_and_user(store: Store) -> None:
    await store.save_session(session("u1", "telegram", journey="ask"))
    await store.save_session(session("u1", "terminal", journey="refer"))
    await store.save_session(session("u2", "telegram", journey="shortlist"))
    journeys = [
        (await store.get_session(channel, user)) for channel, user in [("telegram", "u1"), ("terminal", "u1")]
    ]
    assert [s.journey for s in journeys if s] == ["ask", "refer"]
    shortlisted = await store.get_session("telegram", "u2")
    assert shortlisted is not None
    assert shortlisted.journey == "shortlist"


async def test_changing_returned_data_does_not_change_the_store(store: Store) -> None:
    await store.save_session(session(data={"subjects": ["physics"]}))
    loaded = await store.get_session("telegram", "u1")
    assert loaded is not None
    loaded.data["subjects"].append("chemistry")
    again = await store.get_session("telegram", "u1")
    assert again is not None
    assert again.data == {"subjects": ["physics"]}


async def test_sessions_between_uses_creation_time(store: Store) -> None:
    for n, hours in enumerate([5, 1, 3, 9]):
        await store.save_session(session(f"u{n}", created=hours, updated_at=at(20)))
    found = await store.sessions_between(at(1), at(9))
    assert [s.created_at for s in found] == [at(1), at(3), at(5)]


async def test_naive_times_are_refused(store: Store) -> None:
    naive = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        await store.save_session(Session("telegram", "u1", created_at=naive, updated_at=naive))


# Turns and feedback


async def test_turns_between_is_half_open_and_oldest_first(store: Store) -> None:
    for hours in [3, 0, 2, 1, 4]:
        await store.log_turn(turn(hours=hours, text=f"message at {hours}"))
    found = await store.turns_between(at(1), at(4))
    assert [t.text for t in found] == ["message at 1", "message at 2", "message at 3"]


async def test_turn_round_trips_with_every_field(store: Store) -> None:
    logged = turn(payload="btn:more", status="suggested", entry=None, topic=None, score=None, journey="ask")
    await store.log_turn(logged)
    assert await store.turns_between(at(0), at(1)) == [logged]


async def test_turns_at_the_same_time_keep_their_order(store: Store) -> None:
    for n in range(5):
        await store.log_turn(turn(hours=1, text=f"message {n}"))
    found = await store.turns_between(at(0), at(2))
    assert [t.text for t in found] == [f"message {n}" for n in range(5)]


async def test_feedback_between(store: Store) -> None:
    await store.add_feedback(feedback("u1", 2, helpful=False))
    await store.add_feedback(feedback("u2", 0))
    await store.add_feedback(feedback("u3", 5))
    found = await store.feedback_between(at(0), at(5))
    assert found == [feedback("u2", 0), feedback("u1", 2, helpful=False)]


# Referrals


async def test_referral_round_trips(store: Store) -> None:
    made = referral("r1")
    await store.add_referral(made)
    assert await store.referrals_for("telegram", "u1") == [made]


async def test_a_referral_id_is_stored_once(store: Store) -> None:
    await store.add_referral(referral("r1"))
    with pytest.raises(StorageError):
        await store.add_referral(referral("r1", provider="p-other"))
    assert [r.provider_id for r in await store.referrals_for("telegram", "u1")] == ["p-sheffield"]


async def test_referrals_for_is_newest_first_and_only_that_person(store: Store) -> None:
    await store.add_referral(referral("r1", hours=1))
    await store.add_referral(referral("r2", hours=3))
    await store.add_referral(referral("r3", user_id="u2", hours=2))
    await store.add_referral(referral("r4", hours=2))
    assert [r.id for r in await store.referrals_for("telegram", "u1")] == ["r2", "r4", "r1"]
    assert await store.referrals_for("terminal", "u1") == []


async def test_withdraw_only_this_persons_pending_referral(store: Store) -> None:
    await store.add_referral(referral("mine"))
    await store.add_referral(referral("theirs", user_id="u2"))
    assert await store.withdraw_referral("theirs", "telegram", "u1") is False
    assert await store.withdraw_referral("mine", "terminal", "u1") is False
    assert await store.withdraw_referral("unknown", "telegram", "u1") is False
    assert await store.withdraw_referral("mine", "telegram", "u1") is True
    assert await store.withdraw_referral("mine", "telegram", "u1") is False
    statuses = {r.id: r.status for r in await store.referrals_between(at(0), at(1))}
    assert statuses == {"mine": ReferralStatus.WITHDRAWN, "theirs": ReferralStatus.PENDING}


async def test_a_sent_referral_cannot_be_withdrawn(store: Store) -> None:
    await store.add_referral(referral("r1"))
    await store.start_digest(digest("d1", "p-sheffield", "r1"))
    await store.finish_digest("d1", at(1))
    assert await store.withdraw_referral("r1", "telegram", "u1") is False
    assert [r.status for r in await store.referrals_for("telegram", "u1")] == [ReferralStatus.SENT]


async def test_pending_referrals_oldest_first_and_by_provider(store: Store) -> None:
    await store.add_referral(referral("r1", "u1", "p-a", hours=2))
    await store.add_referral(referral("r2", "u2", "p-b", hours=0))
    await store.add_referral(referral("r3", "u3", "p-a", hours=1))
    await store.add_referral(referral("r4", "u4", "p-a", hours=3))
    await store.withdraw_referral("r4", "telegram", "u4")
    assert [r.id for r in await store.pending_referrals()] == ["r2", "r3", "r1"]
    assert [r.id for r in await store.pending_referrals("p-a")] == ["r3", "r1"]
    assert await store.pending_referrals("p-none") == []


async def test_referrals_between_includes_every_status(store: Store) -> None:
    for n in range(4):
        await store.add_referral(referral(f"r{n}", hours=n))
    await store.withdraw_referral("r1", "telegram", "u1")
    await store.start_digest(digest("d1", "p-sheffield", "r2"))
    await store.finish_digest("d1", at(6))
    found = await store.referrals_between(at(1), at(3))
    assert [(r.id, r.status) for r in found] == [
        ("r1", ReferralStatus.WITHDRAWN),
        ("r2", ReferralStatus.SENT),
    ]


async def test_referrals_by_id_keeps_the_order_asked(store: Store) -> None:
    for n in range(3):
        await store.add_referral(referral(f"r{n}", hours=n))
    found = await store.referrals_by_id(["r2", "missing", "r0"])  # type: ignore[attr-defined]
    assert [r.id for r in found] == ["r2", "r0"]


# Digests


async def test_started_digest_takes_its_referrals_out_of_pending(store: Store) -> None:
    for rid in ("r1", "r2", "r3"):
        await store.add_referral(referral(rid))
    started = digest("d1", "p-sheffield", "r2", "r1", hours=1)
    await store.start_digest(started)
    assert [r.id for r in await store.pending_referrals()] == ["r3"]
    assert await store.unfinished_digests() == [started]
    assert await store.last_digest_at("p-sheffield") is None


async def test_two_digests_cannot_claim_the_same_referral(store: Store) -> None:
    await store.add_referral(referral("r1"))
    await store.add_referral(referral("r2"))
    await store.start_digest(digest("d1", "p-sheffield", "r1"))
    with pytest.raises(AlreadyClaimed):
        await store.start_digest(digest("d2", "p-sheffield", "r2", "r1"))
    assert [d.digest_id for d in await store.unfinished_digests()] == ["d1"]
    assert [r.id for r in await store.pending_referrals()] == ["r2"]
    await store.finish_digest("d1", at(2))
    with pytest.raises(AlreadyClaimed):
        await store.start_digest(digest("d3", "p-sheffield", "r1"))
    await store.start_digest(digest("d4", "p-sheffield", "r2"))


async def test_a_digest_id_is_started_once(store: Store) -> None:
    await store.start_digest(digest("d1", "p-a"))
    with pytest.raises(StorageError):
        await store.start_digest(digest("d1", "p-b"))
    assert [d.provider_id for d in await store.unfinished_digests()] == ["p-a"]


async def test_finish_digest_marks_referrals_sent(store: Store) -> None:
    await store.add_referral(referral("r1", "u1"))
    await store.add_referral(referral("r2", "u2"))
    await store.start_digest(digest("d1", "p-sheffield", "r1", "r2"))
    await store.finish_digest("d1", at(2))
    sent = await store.referrals_between(at(0), at(1))
    assert [(r.status, r.digest_id, r.sent_at) for r in sent] == [(ReferralStatus.SENT, "d1", at(2))] * 2
    assert await store.unfinished_digests() == []
    assert await store.pending_referrals() == []
    assert await store.last_digest_at("p-sheffield") == at(2)


async def test_referral_withdrawn_while_in_flight_stays_withdrawn(store: Store) -> None:
    await store.add_referral(referral("r1", "u1"))
    await store.add_referral(referral("r2", "u2"))
    await store.start_digest(digest("d1", "p-sheffield", "r1", "r2"))
    assert await store.withdraw_referral("r1", "telegram", "u1") is True
    await store.finish_digest("d1", at(2))
    found = {r.id: r for r in await store.referrals_between(at(0), at(1))}
    assert (found["r1"].status, found["r1"].digest_id, found["r1"].sent_at) == (
        ReferralStatus.WITHDRAWN,
        None,
        None,
    )
    assert found["r2"].status is ReferralStatus.SENT


async def test_finishing_twice_keeps_the_first_time(store: Store) -> None:
    await store.add_referral(referral("r1"))
    await store.start_digest(digest("d1", "p-sheffield", "r1"))
    await store.finish_digest("d1", at(2))
    await store.finish_digest("d1", at(7))
    assert await store.last_digest_at("p-sheffield") == at(2)
    assert [r.sent_at for r in await store.referrals_for("telegram", "u1")] == [at(2)]


async def test_unknown_digests_cannot_be_finished_or_failed(store: Store) -> None:
    with pytest.raises(StorageError):
        await store.finish_digest("missing", at(1))
    with pytest.raises(StorageError):
        await store.fail_digest("missing", "timeout", at(1))


async def test_fail_digest_counts_attempts_and_keeps_it_unfinished(store: Store) -> None:
    await store.add_referral(referral("r1"))
    await store.start_digest(digest("d1", "p-sheffield", "r1"))
    await store.fail_digest("d1", "SMTP timed out", at(1))
    await store.fail_digest("d1", "connection refused", at(3))
    [record] = await store.unfinished_digests("p-sheffield")
    assert (record.attempts, record.last_error, record.next_attempt_at) == (2, "connection refused", at(3))
    assert record.finished_at is None
    assert await store.pending_referrals() == []
    await store.finish_digest("d1", at(4))
    with pytest.raises(StorageError):
        await store.fail_digest("d1", "too late", at(5))


async def test_unfinished_digests_by_provider_oldest_first(store: Store) -> None:
    await store.start_digest(digest("d-late", "p-a", "r1", hours=3))
    await store.start_digest(digest("d-early", "p-a", "r2", "r3", hours=1))
    await store.start_digest(digest("d-other", "p-b", "r4", hours=2))
    await store.start_digest(digest("d-done", "p-a", hours=0))
    await store.finish_digest("d-done", at(0.5))
    assert [d.digest_id for d in await store.unfinished_digests()] == ["d-early", "d-other", "d-late"]
    early, late = await store.unfinished_digests("p-a")
    assert (early.referral_ids, late.referral_ids) == (("r2", "r3"), ("r1",))


async def test_last_digest_at_is_the_latest_delivery_per_provider(store: Store) -> None:
    for did, provider, finished in [("d1", "p-a", 5), ("d2", "p-a", 9), ("d3", "p-a", 7), ("d4", "p-b", 11)]:
        await store.start_digest(digest(did, provider))
        await store.finish_digest(did, at(finished))
    await store.start_digest(digest("d5", "p-a", hours=12))
    assert await store.last_digest_at("p-a") == at(9)
    assert await store.last_digest_at("p-b") == at(11)
    assert await store.last_digest_at("p-c") is None


# Export and erasure


async def fill_person(store: Store, user_id: str) -> None:
    """Stores a session, two turns, a referral and feedback for one person."""
    await store.save_session(session(user_id, data={"subjects": ["music"]}))
    await store.log_turn(turn(user_id, 1, text="can I train part time?", payload="p:1"))
    await store.log_turn(turn(user_id, 0, text="hello"))
    await store.add_referral(referral(f"{user_id}-r", user_id))
    await store.add_feedback(feedback(user_id, 2))


async def test_export_person_is_everything_about_them_as_json(store: Store) -> None:
    await fill_person(store, "u1")
    await fill_person(store, "u2")
    exported = await store.export_person("telegram", "u1")
    assert json.loads(json.dumps(exported)) == exported
    assert exported["session"]["user_id"] == "u1"
    assert exported["session"]["data"] == {"subjects": ["music"]}
    assert [t["text"] for t in exported["turns"]] == ["hello", "can I train part time?"]
    assert [datetime.fromisoformat(t["at"]) for t in exported["turns"]] == [at(0), at(1)]
    [made] = exported["referrals"]
    assert (made["id"], made["status"], made["preferences"]) == ("u1-r", "pending", referral("x").preferences)
    assert [f["helpful"] for f in exported["feedback"]] == [True]


async def test_export_of_someone_unknown_is_empty(store: Store) -> None:
    await fill_person(store, "u1")
    exported = await store.export_person("telegram", "stranger")
    assert exported == {"session": None, "turns": [], "referrals": [], "feedback": []}


async def test_erase_person_deletes_everything_and_names_providers_already_sent(store: Store) -> None:
    await fill_person(store, "u1")
    await fill_person(store, "u2")
    for rid, provider in [("s1", "p-york"), ("s2", "p-brighton"), ("s3", "p-york")]:
        await store.add_referral(referral(rid, "u1", provider))
        await store.start_digest(digest(f"d-{rid}", provider, rid))
        await store.finish_digest(f"d-{rid}", at(1))
    await store.add_referral(referral("w1", "u1", "p-hull"))
    await store.withdraw_referral("w1", "telegram", "u1")

    report = await store.erase_person("telegram", "u1")

    assert (report.sessions, report.turns, report.referrals, report.feedback) == (1, 2, 5, 1)
    assert report.already_sent_to == ("p-brighton", "p-york")
    assert await store.export_person("telegram", "u1") == {
        "session": None,
        "turns": [],
        "referrals": [],
        "feedback": [],
    }
    kept = await store.export_person("telegram", "u2")
    assert (len(kept["turns"]), len(kept["referrals"]), len(kept["feedback"])) == (2, 1, 1)
    again = await store.erase_person("telegram", "u1")
    assert (again.sessions, again.turns, again.referrals, again.feedback, again.already_sent_to) == (
        0,
        0,
        0,
        0,
        (),
    )


async def test_erasing_a_person_drops_their_referrals_from_the_digest_ledger(store: Store) -> None:
    await store.add_referral(referral("mine", "u1", "p-york"))
    await store.add_referral(referral("theirs", "u2", "p-york"))
    await store.start_digest(digest("d1", "p-york", "mine", "theirs"))

    await store.erase_person("telegram", "u1")

    assert [d.referral_ids for d in await store.unfinished_digests()] == [("theirs",)]


# Purging


async def test_purge_before_removes_old_personal_data(store: Store) -> None:
    await store.save_session(session("old", created=0, updated_at=at(1)))
    await store.save_session(session("recent", created=0, updated_at=at(10)))
    await store.log_turn(turn("old", 1, text="my name is Sam", payload="p:x"))
    await store.log_turn(turn("recent", 10, text="still here"))
    await store.add_feedback(feedback("old", 1))
    await store.add_feedback(feedback("recent", 10))
    await store.add_referral(referral("old-pending", "old", hours=1))
    await store.add_referral(referral("old-in-flight", "old", hours=1))
    await store.add_referral(referral("old-withdrawn-in-flight", "old", hours=1))
    await store.add_referral(referral("recent", "recent", hours=10))
    await store.start_digest(digest("d1", "p-sheffield", "old-in-flight", "old-withdrawn-in-flight"))
    await store.withdraw_referral("old-withdrawn-in-flight", "telegram", "old")

    changed = await store.purge_before(at(5))

    # one session, two referrals, one turn and one feedback row
    assert changed == 5
    # the ledger keeps no id of a referral that is gone
    assert [d.referral_ids for d in await store.unfinished_digests()] == [("old-in-flight",)]
    assert await store.get_session("telegram", "old") is None
    assert await store.get_session("telegram", "recent") is not None
    assert [r.id for r in await store.referrals_between(at(0), at(24))] == ["old-in-flight", "recent"]
    turns = await store.turns_between(at(0), at(24))
    assert [(t.user_id, t.text, t.payload) for t in turns] == [("", "", None), ("recent", "still here", None)]
    assert (turns[0].status, turns[0].topic, turns[0].campaign) == ("answered", "bursary_amounts", "autumn")
    assert [f.user_id for f in await store.feedback_between(at(0), at(24))] == ["", "recent"]
    assert await store.purge_before(at(5)) == 0


async def test_purge_releases_referrals_once_their_digest_is_finished(store: Store) -> None:
    await store.add_referral(referral("r1", hours=1))
    await store.start_digest(digest("d1", "p-sheffield", "r1"))
    assert await store.purge_before(at(5)) == 0
    await store.finish_digest("d1", at(2))
    assert await store.purge_before(at(5)) == 1
    assert await store.referrals_between(at(0), at(24)) == []


# Life cycle and concurrency


async def test_closed_store_refuses_work_and_reopens_with_its_data(store: Store) -> None:
    await store.save_session(session())
    await store.close()
    with pytest.raises(StorageError, match="not open"):
        await store.get_session("telegram", "u1")
    await store.open()
    assert await store.get_session("telegram", "u1") == session()


async def test_many_tasks_at_once_lose_nothing(store: Store) -> None:
    async def converse(n: int) -> None:
        person = f"user-{n}"
        await store.save_session(session(person, journey="ask"))
        await store.log_turn(turn(person, hours=n / 100, text=f"question {n}"))
        if n % 10 == 0:
            await store.add_referral(referral(f"r{n}", person, hours=n / 100))
            await store.start_digest(digest(f"d{n}", "p-sheffield", f"r{n}"))
        loaded = await store.get_session("telegram", person)
        assert loaded is not None
        await store.save_session(loaded.moved_to("ask", f"step-{n}"))
        if n % 10 == 0:
            await store.finish_digest(f"d{n}", at(5))

    await asyncio.gather(*(converse(n) for n in range(200)))

    turns = await store.turns_between(at(0), at(24))
    assert sorted(t.text for t in turns) == sorted(f"question {n}" for n in range(200))
    sessions = await store.sessions_between(at(0), at(1))
    assert {s.user_id: s.step for s in sessions} == {f"user-{n}": f"step-{n}" for n in range(200)}
    sent = await store.referrals_between(at(0), at(24))
    assert [r.status for r in sent] == [ReferralStatus.SENT] * 20


async def test_backends_give_identical_answers(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    answers = []
    for kind in ("memory", "sqlite", "postgres"):
        opened = await new_store(kind, tmp_path / kind, request)
        await fill_person(opened, "u1")
        await fill_person(opened, "u2")
        await opened.start_digest(digest("d1", "p-sheffield", "u2-r"))
        await opened.fail_digest("d1", "refused", at(3))
        await opened.purge_before(at(0.5))
        answers.append(
            [
                await opened.export_person("telegram", "u1"),
                await opened.export_person("telegram", "u2"),
                await opened.turns_between(at(-1), at(9)),
                await opened.unfinished_digests(),
                await opened.sessions_between(at(-1), at(9)),
            ]
        )
        await opened.close()
    memory, sqlite, postgres = answers
    assert memory == sqlite
    assert postgres == sqlite


async def test_turns_saved_by_many_people_at_once_are_all_kept(store: Store) -> None:
    people = [f"u{n}" for n in range(40)]
    await asyncio.gather(
        *(store.save_turn(session(p, journey="ask", data={"n": n}), turn(p, 1)) for n, p in enumerate(people))
    )
    for n, p in enumerate(people):
        kept = await store.get_session("telegram", p)
        assert kept is not None
        assert kept.data == {"n": n}
    assert sorted(t.user_id for t in await store.turns_between(at(0), at(2))) == sorted(people)


async def test_a_session_read_just_before_erasure_is_not_served_afterwards(store: Store) -> None:
    await store.save_turn(session("u1", journey="refer"), turn("u1"))
    assert await store.get_session("telegram", "u1") is not None
    await store.erase_person("telegram", "u1")
    assert await store.get_session("telegram", "u1") is None


# The inbox of accepted updates and the outbox of replies

LEASE = timedelta(minutes=1)


def outgoing(text: str, user_id: str = "u1", hours: float = 0, **fields: Any) -> Outgoing:
    """A reply to person user_id, made some hours after T0, delivered to their chat."""
    return Outgoing("telegram", user_id, f"chat-{user_id}", Reply(text, Status.ANSWERED, **fields), at(hours))


def texts(messages: Any) -> list[str]:
    return [m.outgoing.reply.text for m in messages]


async def test_a_turn_accepts_its_update_and_queues_its_replies_in_order(store: Store) -> None:
    rich = outgoing(
        "second",
        buttons=(Button("Menu", "start:menu"),),
        entry="bursary-tax",
        topic="bursary_amounts",
        score=0.5,
        attachment=Attachment("my-data.json", b"\x00{}", "application/json"),
        numbered=False,
    )
    assert not await store.is_accepted("telegram", "41")
    await store.save_turn(session(), turn(), update_id="41", outbox=[outgoing("first"), rich])
    assert await store.is_accepted("telegram", "41")
    assert not await store.is_accepted("web", "41"), "each channel has its own update ids"
    claimed = await store.claim_outbox("telegram", "w1", at(0), LEASE)
    assert [m.outgoing for m in claimed] == [outgoing("first"), rich]
    assert [m.parts_done for m in claimed] == [0, 0]
    assert claimed[0].id < claimed[1].id
    assert await store.outbox_counts("telegram") == {"pending": 2}


async def test_a_redelivered_update_is_refused_and_keeps_nothing(store: Store) -> None:
    await store.save_turn(session(step="one"), turn(text="first"), update_id="7", outbox=[outgoing("a")])
    with pytest.raises(AlreadyAccepted):
        await store.save_turn(session(step="two"), turn(text="again"), update_id="7", outbox=[outgoing("b")])
    kept = await store.get_session("telegram", "u1")
    assert kept is not None and kept.step == "one"
    assert [t.text for t in await store.turns_between(at(-1), at(1))] == ["first"]
    assert texts(await store.claim_outbox("telegram", "w1", at(0), LEASE)) == ["a"]


async def test_a_redelivery_among_many_turns_fails_only_itself(store: Store) -> None:
    await store.save_turn(session("u0"), turn("u0"), update_id="0")
    results = await asyncio.gather(
        *(
            store.save_turn(
                session(f"u{n}"), turn(f"u{n}"), update_id=str(n), outbox=[outgoing(f"r{n}", f"u{n}")]
            )
            for n in range(20)
        ),
        return_exceptions=True,
    )
    assert isinstance(results[0], AlreadyAccepted)
    assert results[1:] == [None] * 19
    claimed = texts(await store.claim_outbox("telegram", "w1", at(0), LEASE))
    assert sorted(claimed) == sorted(f"r{n}" for n in range(1, 20))


async def test_an_update_without_a_turn_is_accepted_once(store: Store) -> None:
    assert await store.accept_update("telegram", "9", at(0), [outgoing("text only, please")])
    assert not await store.accept_update("telegram", "9", at(0), [outgoing("again")])
    await store.enqueue([outgoing("sorry")])
    assert await store.is_accepted("telegram", "9")
    assert texts(await store.claim_outbox("telegram", "w1", at(0), LEASE)) == ["text only, please", "sorry"]


async def test_claims_keep_each_chat_with_one_worker_until_the_lease_ends(store: Store) -> None:
    await store.enqueue([outgoing("u1 a"), outgoing("u2 a", "u2")])
    assert texts(await store.claim_outbox("telegram", "w1", at(0), LEASE, limit=1)) == ["u1 a"]
    await store.enqueue([outgoing("u1 b")])
    # w2 gets the chat nobody holds, never u1's, whose earlier message w1 is still sending.
    assert texts(await store.claim_outbox("telegram", "w2", at(0), LEASE)) == ["u2 a"]
    assert texts(await store.claim_outbox("telegram", "w1", at(0), LEASE)) == ["u1 b"]
    assert texts(await store.claim_outbox("telegram", "w1", at(0), LEASE)) == [], "nothing twice"
    # w1 renews its claims by claiming again; w2's lapse, and w1 may take them over.
    assert texts(await store.claim_outbox("telegram", "w1", at(0.02), LEASE)) == ["u2 a"]
    assert texts(await store.claim_outbox("telegram", "w2", at(0.02), LEASE)) == []
    assert await store.claim_outbox("web", "w1", at(0.02), LEASE) == []


async def test_released_messages_are_claimed_again_with_their_progress(store: Store) -> None:
    await store.enqueue([outgoing("long"), outgoing("short")])
    first, second = await store.claim_outbox("telegram", "w1", at(0), LEASE)
    await store.record_progress(first.id, 2)
    await store.finish_outbox(second.id, DeliveryOutcome.SENT, at(0.01))
    await store.release_outbox("telegram", "w1")
    again = await store.claim_outbox("telegram", "w1", at(0), LEASE)
    assert [(m.id, m.parts_done) for m in again] == [(first.id, 2)]
    await store.finish_outbox(first.id, DeliveryOutcome.UNKNOWN, at(0.01))
    await store.finish_outbox(first.id, DeliveryOutcome.SENT, at(0.02))  # finishing twice changes nothing
    await store.release_outbox("telegram", "w1")
    assert await store.claim_outbox("telegram", "w1", at(0), LEASE) == []
    assert await store.outbox_counts("telegram") == {"sent": 1, "unknown": 1}


async def test_erasure_and_purging_clear_the_inbox_and_outbox(store: Store) -> None:
    await store.save_turn(session("u1"), turn("u1"), update_id="1", outbox=[outgoing("to u1")])
    await store.save_turn(session("u2"), turn("u2"), update_id="2", outbox=[outgoing("to u2", "u2")])
    await store.erase_person("telegram", "u1")
    (left,) = await store.claim_outbox("telegram", "w1", at(0), LEASE)
    assert left.outgoing.user_id == "u2"
    await store.finish_outbox(left.id, DeliveryOutcome.SENT, at(1))
    await store.purge_before(at(5))
    assert not await store.is_accepted("telegram", "2")
    assert await store.outbox_counts("telegram") == {}


async def test_pending_replies_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first = SqliteStore(path)
    await first.open()
    await first.save_turn(session(), turn(), update_id="5", outbox=[outgoing("waiting")])
    await first.claim_outbox("telegram", "w1", at(0), LEASE)
    await first.close()
    second = SqliteStore(path, remember_sessions=True)
    await second.open()
    try:
        assert await second.is_accepted("telegram", "5")
        await second.release_outbox("telegram", "w1")
        assert texts(await second.claim_outbox("telegram", "w1", at(0), LEASE)) == ["waiting"]
    finally:
        await second.close()
