"""Purging personal data past retention: old turns are blanked but still counted; recent data is kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.commands.purge import PurgeCounts, purge, purge_job
from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.referrals.delivery import EmlSink
from bot.referrals.ledger import run_digests
from bot.reports.quality import topic_quality
from bot.storage.sqlite import SqliteStore
from tests.conftest import TODAY
from tests.staff.conftest import staff_journeys
from tests.staff.scripting import Visit, add_shortlist, play, referral

EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
OLD = TODAY - timedelta(days=400)
RECENT = TODAY - timedelta(days=10)


@pytest.fixture
async def app(config: Config, content: Content, tmp_path: Path) -> AsyncIterator[App]:
    """A bot on a SQLite file holding one conversation from 400 days ago and one from 10 days ago."""
    config = replace(config, digest=replace(config.digest, outbox_dir=tmp_path / "outbox"))
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    holder = ContentHolder(config, content)
    engine = Engine(config, holder, store, staff_journeys(), FixedClock(OLD))
    await play(
        engine,
        [
            Visit("ana", "radio", OLD, ("how much is the physics bursary", "how do i teach"), thumb=True),
            Visit("ben", "radio", RECENT, ("what is a scitt",), thumb=False),
        ],
    )
    await add_shortlist(store, "ana", OLD + timedelta(hours=1), "radio")
    await store.add_referral(referral("r-old", "ana", "astra-scitt", OLD + timedelta(hours=1), "radio"))
    await store.add_referral(referral("r-new", "ben", "astra-scitt", RECENT, "radio"))
    yield App(config=config, content=holder, store=store, engine=engine)
    await store.close()


async def test_a_dry_run_counts_and_changes_nothing(app: App) -> None:
    store = app.store
    old_turns = [t for t in await store.turns_between(*EVER) if t.user_id == "ana"]
    before = await store.export_person("test", "ana")

    counts, changed, _ = await purge(app.config, store, FixedClock(TODAY), dry_run=True)

    assert counts == PurgeCounts(sessions=1, referrals=1, turns=len(old_turns), feedback=1)
    assert changed == 0
    await store.open()
    assert await store.export_person("test", "ana") == before


async def test_purge_blanks_old_turns_keeps_their_counts_and_keeps_recent_data(app: App) -> None:
    store = app.store
    turns_before = await store.turns_between(*EVER)
    ben_before = await store.export_person("test", "ben")
    old = sum(t.user_id == "ana" for t in turns_before)

    counts, changed, _ = await purge(app.config, store, FixedClock(TODAY), dry_run=False)
    await store.open()

    assert changed == counts.sessions + counts.referrals + counts.turns + counts.feedback == 3 + old
    turns_after = await store.turns_between(*EVER)
    assert len(turns_after) == len(turns_before)
    assert topic_quality(turns_after) == topic_quality(turns_before)
    blanked = [t for t in turns_after if t.at < TODAY - timedelta(days=365)]
    assert len(blanked) == old and all(t.text == "" and t.user_id == "" for t in blanked)
    assert await store.export_person("test", "ana") == {
        "session": None,
        "turns": [],
        "referrals": [],
        "feedback": [],
    }
    assert await store.export_person("test", "ben") == ben_before


async def test_purge_deletes_digest_previews_of_people_no_longer_kept(app: App, content: Content) -> None:
    await app.store.add_referral(referral("r-cara", "cara", "university-of-sussex", RECENT, None))
    folder = app.config.digest.outbox_dir
    sinks = [EmlSink(folder, app.config.digest.from_address)]
    await run_digests(app.store, content.knowledge, sinks, app.config, FixedClock(TODAY), dry_run=True)
    previews = {p.name.split("-dg-")[0]: p for p in folder.glob("*.eml")}
    assert set(previews) == {"astra-scitt", "university-of-sussex"}
    assert b"r-old" in previews["astra-scitt"].read_bytes()

    await purge_job(app, FixedClock(TODAY))  # r-old is past retention: its preview goes
    assert sorted(folder.glob("*.eml")) == [previews["university-of-sussex"]]

    await app.store.erase_person("test", "cara")
    await purge_job(app, FixedClock(TODAY))  # cara asked to be forgotten: hers goes at the next purge
    assert list(folder.glob("*.eml")) == []


async def test_the_daily_job_purges_once(app: App) -> None:
    first = await purge_job(app, FixedClock(TODAY))
    again = await purge_job(app, FixedClock(TODAY))
    assert first > 0 and again == 0


async def test_the_command_line(app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await app.store.close()
    database = str(tmp_path / "bot.sqlite3")

    dry = await asyncio.to_thread(main, ["purge", "--db", database, "--dry-run"])
    dry_output = capsys.readouterr().out
    await app.store.open()
    assert any(t.user_id == "ana" for t in await app.store.turns_between(*EVER))
    await app.store.close()
    done = await asyncio.to_thread(main, ["purge", "--db", database])
    done_output = capsys.readouterr().out
    await app.store.open()

    assert dry == done == 0
    assert dry_output.strip() and done_output.strip() and dry_output != done_output
    assert not any(t.user_id == "ana" for t in await app.store.turns_between(*EVER))
