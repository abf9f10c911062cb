"""The privacy commands through the real engine: what is kept, /mydata as text and JSON, and /forget."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.core.types import Reply, Status
from bot.storage.base import DigestRecord
from bot.storage.sqlite import SqliteStore
from tests.conftest import TODAY, Chat
from tests.journeys.test_refer import CHANNEL, SHORTLISTED, USER, choose_two_and_give_contact, seed_shortlist

OTHER = "someone-else"


def text_of(replies: list[Reply]) -> str:
    """All reply texts as one string."""
    return "\n".join(r.text for r in replies)


def raw(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Runs one query on the database file through a separate plain connection."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """A SQLite store on a file in tmp_path."""
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def sqlite_engine(config: Config, content: Content, sqlite_store: SqliteStore) -> Engine:
    """The engine with every journey on the SQLite file, at a fixed time."""
    from bot.app import build_journeys

    return Engine(config, ContentHolder(config, content), sqlite_store, build_journeys(), FixedClock(TODAY))


def database_bytes(path: Path) -> bytes:
    """Everything in the database file and its write-ahead log and shared-memory files, as they are now."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


async def busy_person(chat: Chat, content: Content) -> None:
    """A person who asked a question, rated the answer, and asked to be put in touch with two providers."""
    await chat.say("how much is the physics bursary")
    await chat.press("Helpful")
    await seed_shortlist(chat.engine.store, campaign="brighton-fair")
    await choose_two_and_give_contact(chat, content)
    await chat.press("Yes, share")


async def test_privacy_says_what_is_kept_for_how_long_and_how_to_see_and_erase_it(
    chat: Chat, config: Config
) -> None:
    for replies in (await chat.say("/privacy"), await chat.tap("privacy:info")):
        text = text_of(replies)
        assert f"{config.privacy.retention_days} days" in text
        assert "/mydata" in text and "/forget" in text
        assert replies[0].status is Status.INFO
        assert {b.payload for b in replies[0].buttons} >= {"privacy:mydata", "privacy:forget"}


async def test_the_main_menu_offers_privacy(chat: Chat) -> None:
    replies = await chat.say("/menu")
    assert "privacy:info" in [b.payload for r in replies for b in r.buttons]


async def test_mydata_shows_everything_as_text_and_as_json(chat: Chat, content: Content) -> None:
    await busy_person(chat, content)
    replies = await chat.say("/mydata")
    text = text_of(replies)
    for expected in ("how much is the physics bursary", "Sam O'Neill", "sam@example.org", "+447700900123"):
        assert expected in text
    for expected in ("brighton-fair", "degree: 2:1", "Ratings you gave to answers: 1", "waiting to be sent"):
        assert expected in text
    for provider_id in (SHORTLISTED[0], SHORTLISTED[2]):
        assert content.knowledge.providers[provider_id].name in text
    attached = [r.attachment for r in replies if r.attachment is not None]
    assert len(attached) == 1 and attached[0].filename == "mydata.json"
    assert attached[0].mime_type == "application/json"
    held = json.loads(attached[0].content.decode("utf-8"))
    assert {r["provider_id"] for r in held["referrals"]} == {SHORTLISTED[0], SHORTLISTED[2]}
    assert held["referrals"][0]["email"] == "sam@example.org"
    assert held["session"]["campaign"] == "brighton-fair"
    assert len(held["feedback"]) == 1
    assert "how much is the physics bursary" in [t["text"] for t in held["turns"]]


async def test_mydata_of_someone_else_is_never_shown(engine: Engine, chat: Chat, content: Content) -> None:
    await busy_person(chat, content)
    other = Chat(engine, user_id=OTHER)
    await other.say("hello")
    replies = await other.say("/mydata")
    assert "sam@example.org" not in text_of(replies)
    attached = next(r.attachment for r in replies if r.attachment is not None)
    assert b"sam@example.org" not in attached.content


async def test_a_long_history_is_split_into_a_few_replies(chat: Chat) -> None:
    for number in range(120):
        await chat.say(f"question number {number} about the physics bursary and how much it is " + "x" * 60)
    replies = await chat.say("/mydata")
    assert 2 <= len(replies) <= 4
    assert all(len(r.text) <= 4096 for r in replies)
    assert "attached file" in replies[-1].text


async def test_forget_asks_first_and_no_keeps_everything(chat: Chat, store: Any, content: Content) -> None:
    await busy_person(chat, content)
    asked = await chat.say("/forget")
    assert {b.payload for b in asked[0].buttons} == {"privacy:forget:yes", "privacy:forget:no"}
    kept = await chat.press("No, keep it")
    assert "Nothing has been deleted" in text_of(kept)
    assert len(await store.referrals_for(CHANNEL, USER)) == 2


async def test_a_forged_yes_without_asking_erases_nothing(chat: Chat, store: Any, content: Content) -> None:
    await busy_person(chat, content)
    replies = await chat.tap("privacy:forget:yes")
    assert "privacy:forget:yes" in [b.payload for b in replies[0].buttons]
    assert len(await store.referrals_for(CHANNEL, USER)) == 2


async def test_forget_removes_every_row_in_the_database_file(
    sqlite_engine: Engine, sqlite_store: SqliteStore, tmp_path: Path, content: Content
) -> None:
    path = tmp_path / "bot.sqlite3"
    chat = Chat(sqlite_engine, user_id=USER, channel=CHANNEL)
    other = Chat(sqlite_engine, user_id=OTHER, channel=CHANNEL)
    await other.say("how much is the physics bursary")
    await busy_person(chat, content)
    await chat.say("/forget")
    done = await chat.press("Yes, delete everything")
    assert done[0].status is Status.CONFIRMED
    assert "requests to be put in touch: 2" in text_of(done)

    mine = "WHERE channel = ? AND user_id = ?"
    assert raw(path, f"SELECT count(*) FROM referrals {mine}", CHANNEL, USER) == [(0,)]
    assert raw(path, f"SELECT count(*) FROM feedback {mine}", CHANNEL, USER) == [(0,)]
    assert raw(path, f"SELECT count(*) FROM turns {mine}", CHANNEL, USER) == [(0,)]
    assert raw(path, f"SELECT count(*) FROM sessions {mine}", CHANNEL, USER) == [(0,)]
    everything = "\n".join(
        str(row)
        for table in ("turns", "sessions", "referrals")
        for row in raw(path, f"SELECT * FROM {table}")
    )
    for secret in ("O'Neill", "sam@example.org", "7700", "brighton-fair"):
        assert secret not in everything
    assert raw(path, f"SELECT count(*) FROM turns {mine}", CHANNEL, OTHER) == [(1,)]


async def test_forget_leaves_no_copy_in_the_files_while_the_bot_runs(
    sqlite_engine: Engine, sqlite_store: SqliteStore, tmp_path: Path, content: Content
) -> None:
    chat = Chat(sqlite_engine, user_id=USER, channel=CHANNEL)
    await busy_person(chat, content)
    ids = [r.id for r in await sqlite_store.referrals_for(CHANNEL, USER)]
    await sqlite_store.start_digest(
        DigestRecord("d1", SHORTLISTED[0], tuple(ids[:1]), TODAY, None, 0, None, None)
    )
    await sqlite_store.finish_digest("d1", TODAY)
    await chat.say("/forget")
    await chat.press("Yes, delete everything")
    path = tmp_path / "bot.sqlite3"
    held = database_bytes(path)
    for secret in ("O'Neill", "sam@example.org", "07700 900123", "+447700900123", "physics bursary", *ids):
        assert secret.encode() not in held, secret
    assert raw(path, "SELECT count(*) FROM digests") == [(1,)]
    assert raw(path, "SELECT count(*) FROM digest_referrals") == [(0,)]


async def test_forget_names_providers_that_already_have_the_details(
    chat: Chat, store: Any, content: Content
) -> None:
    await busy_person(chat, content)
    sent = next(r for r in await store.referrals_for(CHANNEL, USER) if r.provider_id == SHORTLISTED[2])
    await store.start_digest(DigestRecord("d1", SHORTLISTED[2], (sent.id,), TODAY, None, 0, None, None))
    await store.finish_digest("d1", TODAY + timedelta(minutes=5))
    await chat.say("/forget")
    done = text_of(await chat.press("Yes, delete everything"))
    provider = content.knowledge.providers[SHORTLISTED[2]]
    assert provider.name in done and provider.website in done
    assert content.knowledge.providers[SHORTLISTED[0]].name not in done
    assert await store.referrals_for(CHANNEL, USER) == []


async def test_after_forget_the_person_starts_afresh(chat: Chat, content: Content) -> None:
    await busy_person(chat, content)
    await chat.say("/forget")
    await chat.press("Yes, delete everything")
    replies = await chat.say("/mydata")
    assert "sam@example.org" not in text_of(replies)
    assert "Your requests to be put in touch: none." in text_of(replies)


@pytest.mark.parametrize("channel", ["terminal", "telegram", "web"])
async def test_erasure_needs_the_button_or_its_exact_label(engine: Engine, store: Any, channel: str) -> None:
    chat = Chat(engine, user_id=USER, channel=channel)
    await chat.say("how much is the physics bursary")
    asked = await chat.say("/forget")
    label = next(b.label for b in asked[0].buttons if b.payload == "privacy:forget:yes")
    for typed in ("1", "yes", label.lower(), f" {label.upper()} "):
        await chat.say(typed)
        assert await store.get_session(channel, USER) is not None, f"{typed!r} erased"
        await chat.say("/forget")
    erased = await chat.say(label)
    assert erased[0].status is Status.CONFIRMED
