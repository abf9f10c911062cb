"""The engine through its public door: ordering, bad input, forged buttons, failures and saved state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import build_journeys
from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine, Intake
from bot.core.journey import Context, Outcome
from bot.core.session import Session
from bot.core.types import Status, Turn
from bot.errors import StorageError
from bot.storage.memory import MemoryStore
from tests.conftest import TODAY, Chat

BAD_INPUTS = [
    "",
    "   \n\t  ",
    "x" * 20_000,
    "🎓📚🍎",
    "هل يمكنني أن أصبح معلما في إنجلترا",
    "what\x00 is\x07 the\x1b[31m bursary",
    "'; DROP TABLE turns; --",
    "<b>bursary</b><script>alert(1)</script>",
    "/notacommand with words",
    "\u202eevil override",
]


async def test_start_greets_with_the_main_menu(chat: Chat) -> None:
    replies = await chat.say("/start")
    assert replies[0].status is Status.MENU
    labels = [b.label for b in replies[0].buttons]
    assert labels, "the greeting offers buttons"
    assert all(len(b.payload.encode()) <= 64 for b in replies[0].buttons)


@pytest.mark.parametrize("text", BAD_INPUTS)
async def test_bad_input_gets_a_sensible_reply_and_is_logged(
    chat: Chat, store: MemoryStore, text: str
) -> None:
    replies = await chat.say(text)
    assert replies and replies[0].text.strip()
    assert replies[0].status is not Status.ERROR
    turns = await store.turns_between(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    assert len(turns) == 1
    assert len(turns[0].text) <= 4000
    assert "\x00" not in turns[0].text


@pytest.mark.parametrize(
    "payload",
    [
        "ask:e:no-such-entry",
        "zzz:1",
        "start:g:../../etc:0",
        "",
        "x" * 100,
        "ask",
        "ask:up:",
        "start:g:money:999",
    ],
)
async def test_forged_or_stale_buttons_lead_to_the_menu(chat: Chat, payload: str) -> None:
    replies = await chat.tap(payload)
    assert replies[0].status is Status.MENU
    assert replies[0].buttons


async def test_typing_a_number_or_label_picks_a_button_in_the_terminal(chat: Chat) -> None:
    chat.channel = "terminal"
    shown = await chat.say("/start")
    first = shown[0].buttons[0]
    by_number = await chat.say("1")
    await chat.say("/start")
    by_label = await chat.say(first.label.upper())
    assert by_number[0].text == by_label[0].text
    assert by_number[0].status is not Status.NO_MATCH


@pytest.mark.parametrize("channel", ["telegram", "web", "test"])
async def test_a_number_picks_no_button_where_buttons_are_not_numbered(chat: Chat, channel: str) -> None:
    chat.channel = channel
    shown = await chat.say("/start")
    by_label = await chat.say(shown[0].buttons[0].label)
    await chat.say("/start")
    by_number = await chat.say("1")
    assert by_number[0].text != by_label[0].text


async def test_one_persons_turns_never_interleave(config: Config, content: Content) -> None:
    order: list[str] = []

    class SlowStore(MemoryStore):
        async def save_session(self, session: Session) -> None:
            await asyncio.sleep(0.001)
            await super().save_session(session)

        async def log_turn(self, record: Any) -> None:
            order.append(record.text)
            await super().log_turn(record)

    store = SlowStore()
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY))
    texts = [f"question number {i} about bursaries" for i in range(30)]
    await asyncio.gather(*(engine.handle(Turn(channel="t", user_id="u", text=t)) for t in texts))
    assert order == texts


async def test_a_turn_holds_the_person_from_loading_to_saving(config: Config, content: Content) -> None:
    events: list[str] = []

    class RecordingStore(MemoryStore):
        @asynccontextmanager
        async def person(self, channel: str, user_id: str) -> AsyncIterator[None]:
            events.append(f"hold {user_id}")
            yield
            events.append(f"let go {user_id}")

        async def get_session(self, channel: str, user_id: str) -> Session | None:
            events.append("load")
            return await super().get_session(channel, user_id)

        async def save_turn(self, session: Session, record: Any, **kwargs: Any) -> None:
            events.append("save")
            await super().save_turn(session, record, **kwargs)

    store = RecordingStore()
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY))
    await engine.handle(Turn(channel="t", user_id="u", text="is the bursary taxed?"))
    await engine.accept(Turn(channel="t", user_id="v", text="/start"), "7", "chat-v")
    assert events == ["hold u", "load", "save", "let go u", "hold v", "load", "save", "let go v"]


async def test_a_person_that_cannot_be_held_gets_a_plain_error(config: Config, content: Content) -> None:
    class Unreachable(MemoryStore):
        def person(self, channel: str, user_id: str) -> AbstractAsyncContextManager[None]:
            raise StorageError("Could not hold a person's turn in the PostgreSQL database: lock timeout")

    store = Unreachable()
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY))
    replies = await engine.handle(Turn(channel="t", user_id="u", text="hello"))
    assert [r.status for r in replies] == [Status.ERROR]
    assert "lock" not in replies[0].text
    intake = await engine.accept(Turn(channel="t", user_id="u", text="hello"), "8", "chat-u")
    assert intake is Intake.FAILED
    assert await store.turns_between(TODAY.replace(year=2000), TODAY.replace(year=2100)) == []


async def test_a_failing_journey_becomes_an_apology_and_loses_nothing(
    config: Config, content: Content, store: MemoryStore
) -> None:
    class Broken:
        name = "ask"
        commands: frozenset[str] = frozenset()

        async def on_command(self, ctx: Context, command: str, args: str, session: Session) -> Outcome:
            raise RuntimeError("boom")

        on_button = on_command  # type: ignore[assignment]

        async def on_text(self, ctx: Context, text: str, session: Session) -> Outcome:
            raise RuntimeError("boom")

    journeys = [j for j in build_journeys() if j.name != "ask"] + [Broken()]
    engine = Engine(config, ContentHolder(config, content), store, journeys, FixedClock(TODAY))
    await engine.handle(Turn(channel="t", user_id="u", text="/start"))
    before = await store.get_session("t", "u")
    replies = await engine.handle(Turn(channel="t", user_id="u", text="hello there"))
    assert replies[0].status is Status.ERROR
    assert "Traceback" not in replies[0].text
    after = await store.get_session("t", "u")
    assert before is not None and after is not None
    assert after.journey == before.journey and after.created_at == before.created_at


async def test_a_failing_store_gives_a_plain_error(config: Config, content: Content) -> None:
    class LockedStore(MemoryStore):
        async def get_session(self, channel: str, user_id: str) -> Session | None:
            raise StorageError("database is locked")

    engine = Engine(
        config, ContentHolder(config, content), LockedStore(), build_journeys(), FixedClock(TODAY)
    )
    replies = await engine.handle(Turn(channel="t", user_id="u", text="hello"))
    assert replies[0].status is Status.ERROR
    assert "locked" not in replies[0].text


async def test_a_campaign_link_is_kept_on_the_person(chat: Chat, store: MemoryStore) -> None:
    await chat.say("/start uni_fair_2026")
    await chat.say("/start other_campaign")
    session = await store.get_session(chat.channel, chat.user_id)
    assert session is not None and session.campaign == "uni_fair_2026"


async def test_the_session_survives_a_new_engine(
    config: Config, content: Content, store: MemoryStore
) -> None:
    first = Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY))
    shown = await first.handle(Turn(channel="t", user_id="u", text="/start"))
    second = Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY))
    picked = await second.handle(Turn(channel="t", user_id="u", text="2", numbered=True))
    expected = await second.handle(Turn(channel="t", user_id="u", payload=shown[0].buttons[1].payload))
    assert picked[0].text == expected[0].text


async def test_blocked_people_are_marked_inactive(engine: Engine, store: MemoryStore) -> None:
    await engine.handle(Turn(channel="t", user_id="u", text="/start"))
    await engine.mark_inactive("t", "u")
    session = await store.get_session("t", "u")
    assert session is not None and not session.active
    await engine.handle(Turn(channel="t", user_id="u", text="hello"))
    session = await store.get_session("t", "u")
    assert session is not None and session.active


# Accepting updates from a channel that sends from the outbox


async def test_an_accepted_update_queues_its_replies_and_is_never_handled_twice(
    engine: Engine, store: MemoryStore
) -> None:
    turn = Turn(channel="telegram", user_id="77", text="how much is the physics bursary")
    assert await engine.accept(turn, "1001", "chat-77") is Intake.ACCEPTED
    again = Turn(channel="telegram", user_id="77", text="how much is the physics bursary")
    assert await engine.accept(again, "1001", "chat-77") is Intake.DUPLICATE
    turns = await store.turns_between(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    assert len(turns) == 1
    queued = await store.claim_outbox("telegram", "w", TODAY, timedelta(minutes=1))
    expected = await engine.handle(Turn(channel="telegram", user_id="78", text=turn.text))
    assert [m.outgoing.reply.text for m in queued] == [r.text for r in expected]
    assert {(m.outgoing.user_id, m.outgoing.address) for m in queued} == {("77", "chat-77")}


async def test_an_update_the_store_cannot_take_is_left_to_be_offered_again(
    engine: Engine, store: MemoryStore
) -> None:
    await store.close()
    turn = Turn(channel="telegram", user_id="79", text="/start")
    assert await engine.accept(turn, "1002", "chat-79") is Intake.FAILED
    await store.open()
    assert not await store.is_accepted("telegram", "1002")
    assert await engine.accept(turn, "1002", "chat-79") is Intake.ACCEPTED
