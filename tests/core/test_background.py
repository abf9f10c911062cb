"""The running bot's own schedule: reload, due digests and the daily purge."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import open_app
from bot.background import daily, every, seconds_until, start_background
from bot.config import Config
from bot.core.clock import FixedClock
from bot.referrals.model import Referral
from bot.storage.base import DigestRecord
from bot.storage.memory import MemoryStore
from tests.conftest import TODAY

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("now", "expected_hours"),
    [
        (datetime(2026, 11, 23, 2, 30, tzinfo=UTC), 1.0),  # 02:30 GMT: 03:30 is an hour away
        (datetime(2026, 11, 23, 4, 0, tzinfo=UTC), 23.5),  # just past it: tomorrow
        (datetime(2026, 3, 28, 12, 0, tzinfo=UTC), 14.5),  # clocks go forward overnight: one hour less
    ],
)
def test_seconds_until_a_local_time(now: datetime, expected_hours: float) -> None:
    assert seconds_until(time(3, 30), LONDON, now) == pytest.approx(expected_hours * 3600)


async def test_every_keeps_going_after_a_failing_run() -> None:
    runs: list[int] = []
    five = asyncio.Event()

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 5:
            five.set()
        if len(runs) == 2:
            raise RuntimeError("the mail server is down")

    task = asyncio.create_task(every(0.001, "test", job))
    await asyncio.wait_for(five.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runs[:5] == [0, 1, 2, 3, 4]


async def test_daily_waits_for_its_time() -> None:
    runs: list[str] = []
    ran = asyncio.Event()

    async def job() -> None:
        runs.append("ran")
        ran.set()

    almost = FixedClock(datetime(2026, 11, 23, 3, 29, 59, 990000, tzinfo=UTC))
    task = asyncio.create_task(daily(time(3, 30), LONDON, almost, "test", job))
    await asyncio.wait_for(ran.wait(), timeout=10)
    task.cancel()
    assert runs == ["ran"]


async def test_the_running_bot_tries_due_digests_by_itself(config: Config, tmp_path: Path) -> None:
    # No mail server listens on this port, so the attempt fails and is recorded for a retry.
    smtp = replace(config.digest.smtp, port=9, timeout_seconds=1.0)
    # Digests never go to the shipped placeholder addresses, so the providers get deliverable ones.
    folder = Path(shutil.copytree(config.knowledge_dir, tmp_path / "knowledge"))
    providers = folder / "providers.yaml"
    providers.write_text(providers.read_text(encoding="utf-8").replace(".example", ".test"), encoding="utf-8")
    settings = replace(
        config,
        knowledge_dir=folder,
        digest=replace(config.digest, check_minutes=0.0005, smtp=smtp),
        reload=replace(config.reload, watch=False),
    )
    store = MemoryStore()
    async with open_app(settings, store=store, clock=FixedClock(TODAY)) as app:
        provider = next(iter(app.content.current.knowledge.providers))
        await store.add_referral(
            Referral(
                id="r1", channel="t", user_id="u", provider_id=provider, name="Sam", email="sam@example.org",
                phone=None, telegram_handle=None, preferences={}, campaign=None, consent_version="v1",
                consented_at=datetime(2026, 11, 20, tzinfo=UTC),
            )
        )  # fmt: skip
        background = start_background(app, FixedClock(datetime(2026, 11, 30, 12, tzinfo=UTC)))
        try:
            attempts = await _first_digest_attempt(store)
        finally:
            await background.stop()
    assert [(a.provider_id, a.attempts >= 1) for a in attempts] == [(provider, True)]


async def _first_digest_attempt(store: MemoryStore) -> list[DigestRecord]:
    # The store has no change notification to await, so look every few milliseconds.
    async with asyncio.timeout(20):
        while True:
            found = list(await store.unfinished_digests())
            if found and found[0].attempts:
                return found
            await asyncio.sleep(0.01)
