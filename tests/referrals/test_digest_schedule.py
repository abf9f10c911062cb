"""When a provider's digest is due: daily or weekly at a local time, counted from the last one sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.core.clock import FixedClock
from bot.knowledge.model import Knowledge, Provider
from bot.referrals.digest import Digest
from bot.referrals.ledger import Outcome, is_due, latest_slot, run_digests
from bot.storage.memory import MemoryStore

from .conftest import NORTH, SOUTH, digest_settings, referral

LONDON = ZoneInfo("Europe/London")
DAILY = digest_settings(frequency="daily", time="09:00")
WEEKLY = digest_settings(frequency="weekly", weekday="monday", time="09:00")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class RecordingSink:
    """Keeps every digest handed to it, by provider."""

    delivered: list[tuple[str, Digest]] = field(default_factory=list)

    def accepts(self, provider: Provider) -> bool:
        return True

    async def deliver(self, provider: Provider, digest: Digest) -> None:
        self.delivered.append((provider.id, digest))


def test_daily_slot_is_today_once_the_time_has_come_else_yesterday() -> None:
    assert latest_slot(DAILY, utc("2026-11-24 08:59"), LONDON) == utc("2026-11-23 09:00")
    assert latest_slot(DAILY, utc("2026-11-24 09:00"), LONDON) == utc("2026-11-24 09:00")


def test_weekly_slot_is_the_last_weekday_at_the_time() -> None:
    # 23 November 2026 is a Monday.
    assert latest_slot(WEEKLY, utc("2026-11-23 10:00"), LONDON) == utc("2026-11-23 09:00")
    assert latest_slot(WEEKLY, utc("2026-11-23 08:00"), LONDON) == utc("2026-11-16 09:00")
    assert latest_slot(WEEKLY, utc("2026-11-29 23:00"), LONDON) == utc("2026-11-23 09:00")
    friday = digest_settings(frequency="weekly", weekday="friday", time="16:30")
    assert latest_slot(friday, utc("2026-11-25 12:00"), LONDON) == utc("2026-11-20 16:30")


def test_slots_follow_local_time_through_summer_time() -> None:
    # 09:00 in London is 08:00 UTC in summer.
    assert latest_slot(DAILY, utc("2026-07-01 08:30"), LONDON) == utc("2026-07-01 08:00")
    assert latest_slot(DAILY, utc("2026-07-01 07:59"), LONDON) == utc("2026-06-30 08:00")
    # The clocks go back on 25 October 2026: Monday 26 October's 09:00 is 09:00 UTC again.
    assert latest_slot(WEEKLY, utc("2026-10-26 09:30"), LONDON) == utc("2026-10-26 09:00")


def test_due_when_a_slot_has_passed_since_the_last_digest() -> None:
    last = utc("2026-11-23 09:05")
    assert is_due(DAILY, None, utc("2026-11-23 09:06"), LONDON)
    assert not is_due(DAILY, last, utc("2026-11-24 08:59"), LONDON)
    assert is_due(DAILY, last, utc("2026-11-24 09:00"), LONDON)
    assert not is_due(WEEKLY, last, utc("2026-11-29 20:00"), LONDON)
    assert is_due(WEEKLY, last, utc("2026-11-30 09:00"), LONDON)


async def test_due_only_runs_wait_for_each_providers_schedule(knowledge: Knowledge, config: Config) -> None:
    store = MemoryStore()
    await store.open()
    sink = RecordingSink()
    # Monday 23 November, 09:01 and Tuesday 24 November, 12:00.
    await store.add_referral(referral(1, NORTH, consented_at=utc("2026-11-23 09:01")))
    await store.add_referral(referral(2, SOUTH, consented_at=utc("2026-11-24 12:00")))

    async def run(at: str) -> dict[str, Outcome]:
        report = await run_digests(store, knowledge, [sink], config, FixedClock(utc(at)), due_only=True)
        return {p.provider_id: p.outcome for p in report.providers}

    first = await run("2026-11-24 08:00")
    assert (first[NORTH], first[SOUTH]) == (Outcome.NOT_DUE, Outcome.NOT_DUE)
    assert await run("2026-11-24 13:00") == {**first, NORTH: Outcome.SENT}
    assert [p for p, _ in sink.delivered] == [NORTH]

    await store.add_referral(referral(3, NORTH, consented_at=utc("2026-11-24 13:30")))
    later = await run("2026-11-29 23:00")
    assert (later[NORTH], later[SOUTH]) == (Outcome.SENT, Outcome.NOT_DUE)
    monday = await run("2026-11-30 09:00")
    assert (monday[NORTH], monday[SOUTH]) == (Outcome.NOTHING, Outcome.SENT)
    assert [(p, d.referral_ids) for p, d in sink.delivered] == [
        (NORTH, ("ref-1",)),
        (NORTH, ("ref-3",)),
        (SOUTH, ("ref-2",)),
    ]


async def test_not_due_reports_when_the_next_digest_goes(knowledge: Knowledge, config: Config) -> None:
    store = MemoryStore()
    await store.open()
    await store.add_referral(referral(2, SOUTH, consented_at=utc("2026-11-24 12:00")))
    clock = FixedClock(utc("2026-11-25 10:00"))
    report = await run_digests(store, knowledge, [RecordingSink()], config, clock, due_only=True)
    (south,) = [p for p in report.providers if p.provider_id == SOUTH]
    assert south.due_at == utc("2026-11-30 09:00")
    assert south.held == 1
    assert not report.failed


async def test_without_due_only_everything_pending_goes_now(knowledge: Knowledge, config: Config) -> None:
    store = MemoryStore()
    await store.open()
    sink = RecordingSink()
    await store.add_referral(referral(2, SOUTH, consented_at=utc("2026-11-24 12:00")))
    clock = FixedClock(utc("2026-11-24 12:01"))
    await run_digests(store, knowledge, [sink], config, clock)
    assert [p for p, _ in sink.delivered] == [SOUTH]
    assert sink.delivered[0][1].created_at == clock.now()
