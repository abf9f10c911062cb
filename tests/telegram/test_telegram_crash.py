"""Killing `careers-bot telegram` with SIGKILL at chosen and random moments, then starting it again.

Every reply to an update the bot acknowledged must still arrive, and in the common case (no request
in flight at the moment of the kill) none arrives twice.
"""

from __future__ import annotations

import asyncio
import random
import signal
from datetime import UTC, datetime
from pathlib import Path

from botapi import WAIT, BotApiServer, Fault, Person
from conftest import expected_texts
from test_telegram_process import delivered, launch, write_config

from bot.core.engine import Engine
from bot.storage.sqlite import SqliteStore

TEXTS = ["/help", "/topics", "/menu"]


async def kill(process: asyncio.subprocess.Process) -> None:
    """Ends the bot as a crash or a power cut would: no clean-up at all."""
    process.send_signal(signal.SIGKILL)
    await process.wait()


async def stop(process: asyncio.subprocess.Process) -> int:
    """Stops the bot cleanly and returns its exit code."""
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), WAIT)


def collapsed(texts: list[str]) -> list[str]:
    """The texts with any message repeated straight after itself left out once."""
    return [t for n, t in enumerate(texts) if n == 0 or t != texts[n - 1]]


async def turns_logged(database: Path) -> int:
    """How many turns the bot stored."""
    store = SqliteStore(database)
    await store.open()
    try:
        return len(
            await store.turns_between(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
        )
    finally:
        await store.close()


async def test_a_crash_after_acknowledging_loses_no_reply_and_sends_none_twice(
    botapi: BotApiServer, tmp_path: Path, engine: Engine
) -> None:
    config, log = write_config(tmp_path, botapi), tmp_path / "bot.log"
    people = [Person(3000 + n, f"P{n}") for n in range(20)]
    expected = await expected_texts(engine, 999, ["/help"])
    first = await launch(config, botapi, log)
    try:
        # Each chat's first send is told to wait a minute, so every reply is stored but unsent.
        for person in people:
            botapi.plan(Fault("sendMessage", times=1, status=429, retry_after=60, chat_id=person.user_id))
        last = 0
        for person in people:
            last = await botapi.push(person.text("/help"))
        await botapi.wait_for(
            lambda: botapi.confirmed >= last and len(botapi.called("sendMessage", 429)) == 20
        )
    finally:
        await kill(first)
    assert all(botapi.to_chat(p.user_id) == [] for p in people), "nothing was delivered before the crash"

    second = await launch(config, botapi, log)
    try:
        for person in people:
            await botapi.wait_for_messages(person.user_id, len(expected))
        await delivered(tmp_path / "bot.sqlite3")
    finally:
        code = await stop(second)
    for person in people:
        assert [s.text for s in botapi.to_chat(person.user_id)] == expected, "every reply once"
    assert await turns_logged(tmp_path / "bot.sqlite3") == 20, "each update was handled once"
    assert code == 0, log.read_text()


async def test_updates_offered_again_after_a_crash_are_not_answered_twice(
    botapi: BotApiServer, tmp_path: Path, engine: Engine
) -> None:
    config, log = write_config(tmp_path, botapi), tmp_path / "bot.log"
    people = [Person(4000 + n, f"P{n}") for n in range(10)]
    first_reply = await expected_texts(engine, 998, ["/help"])
    both = await expected_texts(engine, 999, ["/help", "/menu"])
    first = await launch(config, botapi, log)
    try:
        # The bot's next getUpdates, the one that would acknowledge, gets no answer before the crash.
        botapi.plan(Fault("getUpdates", times=1, delay=WAIT))
        last = 0
        for person in people:
            last = await botapi.push(person.text("/help"))
        for person in people:
            await botapi.wait_for_messages(person.user_id, len(first_reply))
        await delivered(tmp_path / "bot.sqlite3")
    finally:
        await kill(first)
    assert botapi.confirmed < last, "the updates were answered but never acknowledged"

    second = await launch(config, botapi, log)
    try:
        await botapi.wait_for(lambda: botapi.confirmed >= last)
        for person in people:
            await botapi.push(person.text("/menu"))
        for person in people:
            await botapi.wait_for_messages(person.user_id, len(both))
        await delivered(tmp_path / "bot.sqlite3")
    finally:
        code = await stop(second)
    for person in people:
        assert [s.text for s in botapi.to_chat(person.user_id)] == both, "the redelivery was not answered"
    assert await turns_logged(tmp_path / "bot.sqlite3") == 20
    assert code == 0, log.read_text()


async def test_kills_at_random_moments_lose_no_reply(
    botapi: BotApiServer, tmp_path: Path, engine: Engine
) -> None:
    botapi.flood_limit = True  # replies queue up, so the kills land while many are still to go
    config, log = write_config(tmp_path, botapi), tmp_path / "bot.log"
    people = [Person(5000 + n, f"P{n}") for n in range(30)]
    expected = await expected_texts(engine, 999, TEXTS)
    moments = random.Random(14).sample([0.4, 0.8, 1.2, 1.6, 2.0, 2.4], 3)
    process = await launch(config, botapi, log)
    for text in TEXTS:
        for person in people:
            await botapi.push(person.text(text))
    sent_before_kills = []
    for moment in moments:
        await asyncio.sleep(moment)
        await kill(process)
        sent_before_kills.append(len(botapi.called("sendMessage", 200)))
        process = await launch(config, botapi, log)
    try:
        for person in people:
            await botapi.wait_for_messages(person.user_id, len(expected), within=WAIT * 3)
        await delivered(tmp_path / "bot.sqlite3")
    finally:
        code = await stop(process)
    assert sent_before_kills[0] < len(expected) * len(people), "the first kill came mid-way"
    duplicates = 0
    for person in people:
        got = [s.text for s in botapi.to_chat(person.user_id)]
        assert collapsed(got) == expected, "every reply, in order; at most a repeat of one in flight"
        duplicates += len(got) - len(expected)
    # A repeat can only be a send that was out when the bot died: at most a second's budget per kill.
    assert duplicates <= 30 * len(moments)
    assert code == 0, log.read_text()
