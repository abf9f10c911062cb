"""Conversations with the bot over the Bot API: buttons, deep links, refusals, faults and ordering."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from botapi import BotApiServer, Fault, Person
from conftest import RunningBot, bot_config, expected_texts, start_bot

from bot.config import Config
from bot.core.engine import Engine
from bot.knowledge.values import message


def said(bot: RunningBot, key: str) -> str:
    """A fixed sentence as the person sees it."""
    return message(bot.app.content.current.knowledge, key)


async def test_a_conversation_with_buttons(running: RunningBot) -> None:
    server = running.server
    sam = Person(101, "Sam", "sam_t")
    await server.push(sam.text("/start"))
    greeting = await server.wait_for_messages(sam.user_id, 1)
    assert greeting[-1].buttons, "the greeting offers the menu as buttons"

    await server.push(sam.text("how much is the physics bursary"))
    await server.wait_for(lambda: any(s.buttons for s in server.to_chat(sam.user_id)[1:]))
    answer = next(s for s in server.to_chat(sam.user_id)[1:] if s.buttons)
    assert "physics" in answer.text.lower()
    assert all(len(label) <= 64 and len(data.encode()) <= 64 for label, data in answer.buttons)

    _, payload = answer.buttons[0]
    seen = len(server.to_chat(sam.user_id))
    await server.push(sam.press(payload, on=answer))
    after = await server.wait_for_messages(sam.user_id, seen + 1)
    assert after[seen].text and after[seen].text != said(running, "core.error")
    assert server.called("answerCallbackQuery", 200), "every button press is acknowledged"
    session = await running.app.store.get_session("telegram", str(sam.user_id))
    assert session is not None and session.active


async def test_a_deep_link_records_the_campaign(running: RunningBot) -> None:
    server = running.server
    alex = Person(102, "Alex")
    await server.push(alex.text("/start spring-fair_2026"))
    replies = await server.wait_for_messages(alex.user_id, 1)
    assert replies[0].buttons
    session = await running.app.store.get_session("telegram", str(alex.user_id))
    assert session is not None and session.campaign == "spring-fair_2026"


async def test_commands_menu_comes_from_telegram_yaml(running: RunningBot) -> None:
    names = [c["command"] for c in running.server.commands]
    assert "start" in names and "help" in names
    known = {n for j in running.app.engine.journeys.values() for n in j.commands}
    assert set(names) <= known, "only commands the bot has are offered"
    for command in running.server.commands:
        assert command["description"] == said(running, f"telegram.command_{command['command']}")


async def test_a_failed_command_menu_does_not_stop_the_bot(
    config: Config, botapi: BotApiServer, tmp_path: Path
) -> None:
    botapi.plan(Fault("setMyCommands", times=1, status=500))
    async for bot in start_bot(bot_config(config, botapi), botapi, tmp_path / "bot.sqlite3"):
        kim = Person(103, "Kim")
        await botapi.push(kim.text("/help"))
        assert await botapi.wait_for_messages(kim.user_id, 1)
        assert botapi.called("setMyCommands", 500)
        assert not bot.task.done()


async def test_a_flood_of_429s_still_delivers_every_reply_once(running: RunningBot, engine: Engine) -> None:
    server = running.server
    people = [Person(200 + n, f"P{n}") for n in range(4)]
    # One person meets more refusals than the rate limiter retries, so the channel's own retry runs.
    server.plan(Fault("sendMessage", times=4, status=429, retry_after=1, chat_id=people[0].user_id))
    server.plan(Fault("sendMessage", times=3, status=429, retry_after=1))
    expected = await expected_texts(engine, 999, ["/help"])
    for person in people:
        await server.push(person.text("/help"))
    for person in people:
        await server.wait_for_messages(person.user_id, len(expected))
    running.stop.set()
    await running.task
    assert len(server.called("sendMessage", 429)) == 7
    for person in people:
        assert [s.text for s in server.to_chat(person.user_id)] == expected, "each reply exactly once"


async def test_a_blocked_bot_marks_the_person_inactive(running: RunningBot) -> None:
    server = running.server
    jo = Person(104, "Jo")
    await server.push(jo.text("/start"))
    await server.wait_for_messages(jo.user_id, 1)
    server.blocked.add(jo.user_id)
    await server.push(jo.text("what is a SCITT"))
    await server.wait_for(lambda: bool(server.called("sendMessage", 403)))
    for _ in range(200):  # the sender marks Jo inactive just after the refusal
        session = await running.app.store.get_session("telegram", str(jo.user_id))
        if session is not None and not session.active:
            break
        await asyncio.sleep(0.05)
    assert session is not None and not session.active
    assert len(server.called("sendMessage", 403)) == 1, "a 403 is final: no retries"


async def test_stickers_photos_and_places_get_a_polite_reply(running: RunningBot) -> None:
    server = running.server
    lee = Person(105, "Lee")
    for update in (lee.sticker(), lee.photo(), lee.location()):
        await server.push(update)
    replies = await server.wait_for_messages(lee.user_id, 3)
    assert [r.text for r in replies] == [said(running, "telegram.text_only")] * 3


async def test_groups_get_one_note_and_nothing_else(running: RunningBot) -> None:
    server = running.server
    in_group = Person(106, "Ash", chat_id=-100500, chat_type="group")
    for text in ("/start", "how much is the physics bursary", "/help"):
        await server.push(in_group.text(text))
    alone = Person(106, "Ash")
    await server.push(alone.text("/help"))
    # The same person's updates are taken in order, so the group ones are stored when this reply arrives.
    await server.wait_for_messages(alone.user_id, 1)
    await server.wait_for_messages(-100500, 1)
    running.stop.set()
    await running.task
    assert [s.text for s in server.to_chat(-100500)] == [said(running, "telegram.group_note")]
    assert await running.app.store.get_session("telegram", "-100500") is None


async def test_edited_messages_are_ignored(running: RunningBot, engine: Engine) -> None:
    server = running.server
    max_ = Person(107, "Max")
    await server.push(max_.edited("how much is the physcis bursary"))
    await server.push(max_.text("/help"))
    expected = await expected_texts(engine, 107, ["/help"])
    replies = await server.wait_for_messages(max_.user_id, len(expected))
    running.stop.set()
    await running.task
    assert [r.text for r in server.to_chat(max_.user_id)] == expected == [r.text for r in replies]


async def test_forged_and_expired_button_presses_fall_back_to_the_menu(running: RunningBot) -> None:
    server = running.server
    ria = Person(108, "Ria")
    server.plan(
        Fault(
            "answerCallbackQuery",
            times=1,
            status=400,
            description="Bad Request: query is too old and response timeout expired or query id is invalid",
        )
    )
    await server.push(ria.press("zz:not-a-real-button"))
    replies = await server.wait_for_messages(ria.user_id, 1)
    assert replies[0].buttons, "the menu comes back"
    assert replies[0].text != said(running, "core.error")
    assert server.called("answerCallbackQuery", 400)


async def test_fifty_people_at_once_each_get_replies_in_order(running: RunningBot, engine: Engine) -> None:
    server = running.server
    texts = ["/help", "/topics", "/menu"]
    expected = await expected_texts(engine, 999, texts)
    assert len(set(expected)) == len(expected), "the three replies must be told apart"
    people = [Person(1000 + n, f"P{n}") for n in range(50)]
    for person in people:
        # A slow first send tempts a later reply to overtake it, were order not kept.
        server.plan(Fault("sendMessage", times=1, delay=2.0, chat_id=person.user_id))
    for text in texts:
        for person in people:
            await server.push(person.text(text))
    for person in people:
        await server.wait_for_messages(person.user_id, len(expected), within=90)
    for person in people:
        assert [s.text for s in server.to_chat(person.user_id)] == expected, person.user_id


async def test_an_unexpected_failure_tells_the_person_and_logs_no_personal_data(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    server = running.server
    eve = Person(109, "Eve", "eve_smith")
    # A 409 is an error the sending code does not expect, so it reaches the error handler.
    server.plan(Fault("sendMessage", times=1, status=409, description="Conflict: odd", chat_id=eve.user_id))
    with caplog.at_level(logging.DEBUG, logger="bot"):
        await server.push(eve.text("I'm Eve Smith, 42, with a 2:2 in history: can I teach?"))
        replies = await server.wait_for_messages(eve.user_id, 1)
    assert [r.text for r in replies] == [said(running, "core.error")]
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("bot")]
    assert any("Conflict" in line for line in logged)
    assert not any("Eve" in line or "2:2" in line or "eve_smith" in line for line in logged)


async def test_one_persons_flood_limit_never_delays_another(running: RunningBot, engine: Engine) -> None:
    server = running.server
    flooded, other = Person(110, "Flo"), Person(111, "Oli")
    server.plan(Fault("sendMessage", times=1, status=429, retry_after=4, chat_id=flooded.user_id))
    expected = await expected_texts(engine, 999, ["/help"])
    await server.push(flooded.text("/help"))
    await server.wait_for(lambda: bool(server.called("sendMessage", 429)))
    refused_at = time.monotonic()
    await server.push(other.text("/help"))
    await server.wait_for_messages(other.user_id, len(expected))
    assert time.monotonic() - refused_at < 2.0, "the other person did not wait"
    assert server.to_chat(flooded.user_id) == []
    await server.wait_for_messages(flooded.user_id, len(expected))
    assert time.monotonic() - refused_at >= 4.0 - 0.2, "the flooded chat waited the whole retry_after"
    assert [s.text for s in server.to_chat(flooded.user_id)] == expected
