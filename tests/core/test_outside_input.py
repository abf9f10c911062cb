"""Input from outside, cleaned at the edge: undecodable ids, payloads and start links, and campaign codes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_journeys
from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.core.types import Status, Turn
from bot.storage.sqlite import SqliteStore
from tests.conftest import ROOT, TODAY

LONE = "\udcff"  # what Python makes of the byte 0xff in a command-line argument or file name


@pytest.fixture
async def sqlite_engine(tmp_path: Path, config: Config, content: Content) -> AsyncIterator[Engine]:
    """The real engine on a real SQLite file."""
    store = SqliteStore(tmp_path / "bot.sqlite3", remember_sessions=True)
    await store.open()
    yield Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY))
    await store.close()


@pytest.mark.parametrize(
    "turn",
    [
        Turn(channel="t", user_id="u", payload=f"ask:e:{LONE}"),
        Turn(channel="t", user_id=f"u{LONE}", text="how much is the physics bursary"),
        Turn(channel=f"t{LONE}", user_id="u", text="hello"),
        Turn(channel="t", user_id="u", text="/start", start_payload=f"fair{LONE}"),
        Turn(channel="t", user_id="u", text=f"/start fair{LONE}"),
        Turn(channel="t", user_id="u", text="hi", username=f"ana{LONE}", display_name=f"Ana {LONE}"),
    ],
)
async def test_lone_surrogates_anywhere_in_a_turn_get_a_reply_and_are_saved(
    sqlite_engine: Engine, turn: Turn
) -> None:
    replies = await sqlite_engine.handle(turn)
    assert replies and replies[0].status is not Status.ERROR
    turns = await sqlite_engine.store.turns_between(TODAY.replace(year=2000), TODAY.replace(year=2100))
    assert len(turns) == 1


async def test_ids_that_differ_only_in_undecodable_bytes_stay_two_people(sqlite_engine: Engine) -> None:
    await sqlite_engine.handle(Turn(channel="t", user_id="\udcff", text="/start fair_a"))
    await sqlite_engine.handle(Turn(channel="t", user_id="\udcfe", text="/start fair_b"))
    first = await sqlite_engine.store.get_session("t", "\\udcff")
    second = await sqlite_engine.store.get_session("t", "\\udcfe")
    assert first is not None and first.campaign == "fair_a"
    assert second is not None and second.campaign == "fair_b"


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        ("uni_fair-2026", "uni_fair-2026"),
        ("someone@example.net", None),
        ("x" * 65, None),
        ("café", None),
        ("a+b", None),
    ],
)
async def test_only_codes_a_start_link_may_carry_are_kept_as_the_campaign(
    sqlite_engine: Engine, link: str, kept: str | None
) -> None:
    await sqlite_engine.handle(Turn(channel="t", user_id="typed", text=f"/start {link}"))
    await sqlite_engine.handle(Turn(channel="t", user_id="linked", text="/start", start_payload=link))
    for user in ("typed", "linked"):
        session = await sqlite_engine.store.get_session("t", user)
        assert session is not None and session.campaign == kept
    turns = await sqlite_engine.store.turns_between(TODAY.replace(year=2000), TODAY.replace(year=2100))
    assert {t.campaign for t in turns} == {kept}


def test_the_terminal_chat_takes_an_undecodable_user_name(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--db", str(tmp_path / "bot.sqlite3"), "--user", b"\xff"],  # type: ignore[list-item]
        input="how much is the physics bursary\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "bursary" in done.stdout.lower()
