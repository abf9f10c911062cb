"""A stored session that cannot be read is set aside for inspection, and its person starts afresh."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.app import build_journeys
from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.core.session import Session
from bot.core.types import Status, Turn
from bot.storage.sqlite import SqliteStore
from tests.conftest import TODAY

BROKEN = {
    "bad JSON": "UPDATE sessions SET data = '{not json'",
    "a list": "UPDATE sessions SET data = '[1, 2]'",
    "a bad time": "UPDATE sessions SET updated_at = 'yesterday'",
    "a time with no zone": "UPDATE sessions SET created_at = '2026-11-23T10:00:00'",
    "a blob for a step": "UPDATE sessions SET step = x'01'",
    "a blob for data": "UPDATE sessions SET data = x'00ff'",
}


def break_rows(path: Path, sql: str) -> None:
    """Damages the stored session rows with a plain connection, as a bad edit or a bug might."""
    conn = sqlite3.connect(path)
    try:
        conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def set_aside(path: Path) -> list[tuple[object, ...]]:
    """The rows kept for inspection."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT channel, user_id, reason FROM set_aside_sessions").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("damage", BROKEN.values(), ids=BROKEN.keys())
async def test_an_unreadable_session_is_set_aside_and_the_person_starts_afresh(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SqliteStore(path)
    await store.open()
    await store.save_session(Session("t", "ana", journey="preferences", step="subject"))
    break_rows(path, damage)
    with caplog.at_level(logging.WARNING):
        assert await store.get_session("t", "ana") is None
    assert [(c, u) for c, u, _ in set_aside(path)] == [("t", "ana")]
    assert "set aside" in caplog.text and "ana" not in caplog.text
    fresh = Session("t", "ana")
    await store.save_session(fresh)
    assert await store.get_session("t", "ana") == fresh
    await store.close()


async def test_reports_skip_an_unreadable_session(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SqliteStore(path)
    await store.open()
    await store.save_session(Session("t", "ana", created_at=TODAY, updated_at=TODAY))
    await store.save_session(Session("t", "ben", created_at=TODAY, updated_at=TODAY))
    break_rows(path, "UPDATE sessions SET data = '[]' WHERE user_id = 'ana'")
    found = await store.sessions_between(TODAY.replace(year=2000), TODAY.replace(year=2100))
    assert [s.user_id for s in found] == ["ben"]
    await store.close()


@pytest.mark.parametrize("damage", BROKEN.values(), ids=BROKEN.keys())
async def test_a_person_whose_session_is_unreadable_is_answered_and_can_erase_everything(
    tmp_path: Path, config: Config, content: Content, damage: str
) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SqliteStore(path)  # reads every session from the file, so the damage is seen each time
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY))
    await engine.handle(Turn(channel="t", user_id="ana", text="/shortlist"))
    await store.close()
    break_rows(path, damage)
    await store.open()
    replies = await engine.handle(Turn(channel="t", user_id="ana", text="how much is the physics bursary"))
    assert replies[0].status is Status.ANSWERED
    break_rows(path, damage)  # broken again: /forget must work on it too
    asked = await engine.handle(Turn(channel="t", user_id="ana", text="/forget"))
    assert asked[0].status is Status.PROMPT
    confirm = asked[0].buttons[0].payload
    done = await engine.handle(Turn(channel="t", user_id="ana", payload=confirm))
    assert done[0].status is Status.CONFIRMED
    assert set_aside(path) == []
    assert await store.export_person("t", "ana") == {
        "session": None,
        "turns": [],
        "referrals": [],
        "feedback": [],
    }
    await store.close()
