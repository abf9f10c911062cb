"""Sending the outbox over the Bot API: parts, flood limits, per-chat pauses, and every kind of error."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botapi import TOKEN, WAIT, BotApiServer, Fault
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.request import HTTPXRequest

from bot.channels.telegram_outbox import CHANNEL, DeliverySettings, OutboxSender, keyboard, split_text
from bot.core.types import Attachment, Button, Reply, Status
from bot.storage.base import Outgoing
from bot.storage.sqlite import SqliteStore

CHAT = 555
SORRY = "Sorry, something went wrong. Please try again."


@dataclass
class Harness:
    """An outbox sender running against the loopback server, over a real SQLite store."""

    server: BotApiServer
    store: SqliteStore
    sender: OutboxSender
    blocked: list[str] = field(default_factory=list)
    blocked_now: asyncio.Event = field(default_factory=asyncio.Event)

    async def queue(self, chat: int, *replies: Reply | str, age: timedelta = timedelta()) -> None:
        """Puts replies for a chat in the outbox, as a committed turn does, and wakes the sender."""
        made = datetime.now(UTC) - age
        await self.store.enqueue(
            [
                Outgoing(CHANNEL, str(chat), str(chat), r if isinstance(r, Reply) else plain(r), made)
                for r in replies
            ]
        )
        self.sender.wake()

    async def texts(self, chat: int, count: int, within: float = WAIT) -> list[str]:
        """Waits for a chat's first `count` messages and returns their texts."""
        return [s.text for s in await self.server.wait_for_messages(chat, count, within)]


def plain(text: str) -> Reply:
    return Reply(text=text, status=Status.ANSWERED)


def paragraphs(count: int, size: int) -> str:
    return "\n\n".join(f"Paragraph {n}: " + "word " * (size // 5) for n in range(count))


async def start_sender(
    server: BotApiServer, store: SqliteStore, bot: Bot, blocked: list[str], now: asyncio.Event
) -> tuple[OutboxSender, asyncio.Task[None]]:
    async def on_blocked(user_id: str) -> None:
        blocked.append(user_id)
        now.set()

    settings = DeliverySettings(first_pause=0.05, max_age=timedelta(minutes=10))
    sender = OutboxSender(bot, store, lambda: SORRY, on_blocked, settings)
    return sender, asyncio.create_task(sender.run())


@pytest.fixture
async def harness(botapi: BotApiServer, tmp_path: Path) -> AsyncIterator[Harness]:
    """A running sender with a short read timeout, so a hang counts as no answer quickly."""
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    request = HTTPXRequest(read_timeout=0.5, connection_pool_size=64)
    async with Bot(TOKEN, base_url=botapi.base_url, request=request) as bot:
        blocked: list[str] = []
        now = asyncio.Event()
        sender, task = await start_sender(botapi, store, bot, blocked, now)
        yield Harness(botapi, store, sender, blocked, now)
        await sender.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await store.close()


# Cutting replies into messages


def test_short_text_is_one_part() -> None:
    assert split_text("  Hello there.\n") == ["Hello there."]
    assert split_text("") == []


def test_long_text_splits_at_paragraphs_within_the_limit() -> None:
    text = paragraphs(30, 400)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    assert all(p.startswith("Paragraph") for p in parts), "no paragraph is cut in two"
    assert "\n\n".join(parts).split() == text.split()


def test_text_without_breaks_is_cut_hard_and_counted_in_utf16() -> None:
    text = "😀" * 3000  # each emoji is two UTF-16 units: 6,000 in all
    parts = split_text(text)
    assert [len(p.encode("utf-16-le")) // 2 for p in parts] == [4096, 6000 - 4096]
    assert "".join(parts) == text


def test_lines_are_used_when_a_paragraph_is_too_long() -> None:
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(100))
    parts = split_text(text)
    assert all(p.startswith("line ") for p in parts)
    assert "\n".join(parts) == text


def test_keyboard_keeps_sendable_buttons_one_per_row() -> None:
    buttons = (
        Button("A question whose label runs on and on well past the sixty-four character limit", "ask:e:x"),
        Button("Too much data", "ask:" + "e" * 70),
        Button("Emoji data", "ask:" + "é" * 31),  # 4 + 62 bytes
        Button("Menu", "start:menu"),
    )
    markup = keyboard(buttons)
    assert markup is not None
    rows = markup.inline_keyboard
    assert [len(row) for row in rows] == [1, 1]
    assert len(rows[0][0].text) <= 64 and rows[0][0].text.endswith("…")
    assert [row[0].callback_data for row in rows] == ["ask:e:x", "start:menu"]
    assert keyboard(()) is None


async def test_a_long_reply_arrives_in_parts_with_the_keyboard_last(harness: Harness) -> None:
    text = "Fees & loans <for 2026/27>\n\n" + paragraphs(25, 600)
    reply = Reply(text=text, status=Status.ANSWERED, buttons=(Button("Menu", "start:menu"),))
    await harness.queue(CHAT, reply)
    count = len(split_text(text))
    assert count >= 3
    sent = await harness.server.wait_for_messages(CHAT, count)
    assert [bool(s.buttons) for s in sent] == [False] * (count - 1) + [True]
    assert sent[0].text.startswith("Fees & loans <for 2026/27>"), "text is escaped, not read as HTML"
    assert "\n\n".join(s.text for s in sent).split() == text.split()


async def test_an_oversized_payload_is_dropped_not_sent(harness: Harness) -> None:
    buttons = (Button("Fine", "ask:e:fees"), Button("Too long", "ask:e:" + "x" * 64))
    await harness.queue(CHAT, Reply(text="Pick one", status=Status.SUGGESTED, buttons=buttons))
    (sent,) = await harness.server.wait_for_messages(CHAT, 1)
    assert sent.buttons == (("Fine", "ask:e:fees"),)


async def test_an_attachment_is_sent_as_a_document(harness: Harness) -> None:
    data = b'{"sessions": []}'
    reply = Reply(
        "Here is your data.", Status.INFO, attachment=Attachment("my-data.json", data, "application/json")
    )
    await harness.queue(CHAT, reply)
    text, document = await harness.server.wait_for_messages(CHAT, 2)
    assert text.text == "Here is your data."
    assert (document.method, document.filename, document.content) == ("sendDocument", "my-data.json", data)


# Telegram's errors


@pytest.mark.parametrize(
    "fault",
    [
        Fault("sendMessage", times=2, status=503, description="Service Unavailable"),
        Fault("sendMessage", times=2, status=502, description="Bad Gateway", html=True),
        Fault("sendMessage", times=2, status=500),
    ],
    ids=["json-503", "nginx-html-502", "json-500"],
)
async def test_server_errors_are_retried_until_accepted_once(harness: Harness, fault: Fault) -> None:
    harness.server.plan(fault)
    await harness.queue(CHAT, "hello", "and again")
    assert await harness.texts(CHAT, 2) == ["hello", "and again"]
    assert len(harness.server.called("sendMessage", fault.status)) == 2
    await harness.server.wait_for(lambda: True)
    assert await harness.store.outbox_counts(CHANNEL) in ({"sent": 2}, {"sent": 1, "pending": 1})


async def test_a_flood_wait_pauses_only_its_own_chat_for_all_of_retry_after(harness: Harness) -> None:
    flooded, other = 601, 602
    harness.server.plan(Fault("sendMessage", times=1, status=429, retry_after=3, chat_id=flooded))
    await harness.queue(flooded, "first for the flooded chat", "second for the flooded chat")
    await harness.server.wait_for(lambda: bool(harness.server.called("sendMessage", 429)))
    refused_at = time.monotonic()
    await harness.queue(other, "one", "two", "three")
    assert await harness.texts(other, 3) == ["one", "two", "three"]
    assert time.monotonic() - refused_at < 2.0, "the other chat did not wait for the flood limit"
    assert await harness.texts(flooded, 2) == ["first for the flooded chat", "second for the flooded chat"]
    retried = [t for t, chat in harness.server.send_times if chat == flooded][1]
    assert retried - refused_at >= 3.0 - 0.2, "the whole retry_after was waited"


async def test_a_send_with_no_answer_in_time_is_not_repeated(harness: Harness) -> None:
    harness.server.plan(Fault("sendMessage", times=1, delay=1.5, chat_id=CHAT))
    await harness.queue(CHAT, "hello", "after the silence")
    texts = await harness.texts(CHAT, 2)
    assert sorted(texts) == ["after the silence", "hello"], "Telegram may have it: never repeated"
    await asyncio.sleep(0.3)
    assert [s.text for s in harness.server.to_chat(CHAT)].count("hello") == 1
    assert harness.server.arrived.count("sendMessage") == 2
    counts = await harness.store.outbox_counts(CHANNEL)
    assert counts == {"unknown": 1, "sent": 1}


async def test_a_blocked_chat_is_marked_inactive_and_its_queue_dropped(harness: Harness) -> None:
    harness.server.blocked.add(CHAT)
    await harness.queue(CHAT, "one", "two", "three")
    await asyncio.wait_for(harness.blocked_now.wait(), WAIT)
    await asyncio.sleep(0.2)
    assert harness.blocked == [str(CHAT)]
    assert len(harness.server.called("sendMessage", 403)) == 1, "a 403 is final: no retries"
    assert await harness.store.outbox_counts(CHANNEL) == {"blocked": 3}


async def test_a_refused_reply_is_logged_with_its_method_and_the_person_told(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.server.plan(
        Fault("sendMessage", times=1, status=400, description="Bad Request: odd entity", chat_id=CHAT)
    )
    with caplog.at_level(logging.ERROR, logger="bot"):
        await harness.queue(CHAT, "an answer Telegram refuses", "the next answer")
        texts = await harness.texts(CHAT, 2)
    assert texts[0] == "the next answer"
    assert texts[1] == SORRY
    logged = [r.getMessage() for r in caplog.records]
    assert any("sendMessage" in line and "odd entity" in line.lower() for line in logged)
    assert len(harness.server.called("sendMessage", 400)) == 1, "a 400 is not retried"


async def test_a_reply_too_old_to_make_sense_is_dropped_and_counted(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot"):
        await harness.queue(CHAT, "stale", age=timedelta(minutes=11))
        await harness.queue(CHAT, "fresh")
        assert await harness.texts(CHAT, 1) == ["fresh"]
    await asyncio.sleep(0.2)
    assert [s.text for s in harness.server.to_chat(CHAT)] == ["fresh"]
    assert await harness.store.outbox_counts(CHANNEL) == {"expired": 1, "sent": 1}
    assert harness.sender.outcomes["expired"] == 1
    assert any("dropped" in r.getMessage() for r in caplog.records)


# Flood limits


async def test_many_chats_at_once_never_exceed_thirty_sends_a_second(harness: Harness) -> None:
    harness.server.flood_limit = True
    chats = range(7000, 7100)
    for chat in chats:
        await harness.store.enqueue(
            [Outgoing(CHANNEL, str(chat), str(chat), plain(f"to {chat}"), datetime.now(UTC))]
        )
    started = time.monotonic()
    harness.sender.wake()
    for chat in chats:
        assert await harness.texts(chat, 1) == [f"to {chat}"]
    elapsed = time.monotonic() - started
    assert harness.server.called("sendMessage", 429) == []
    assert harness.server.most_sends_in(1.0) <= 30
    assert elapsed > 2.5, "a hundred sends take more than three rolling seconds"


async def test_a_group_gets_at_most_twenty_messages_a_minute(harness: Harness) -> None:
    harness.server.flood_limit = True
    group = -100777
    await harness.queue(group, *(f"note {n}" for n in range(22)))
    await harness.texts(group, 20)
    await asyncio.sleep(1.5)
    assert len(harness.server.to_chat(group)) == 20
    assert harness.server.called("sendMessage", 429) == []
    await harness.queue(CHAT, "a private chat is not held back by the group")
    assert await harness.texts(CHAT, 1) == ["a private chat is not held back by the group"]


async def test_typing_is_shown_only_from_spare_budget(harness: Harness) -> None:
    harness.sender.typing(CHAT)
    await harness.server.wait_for(lambda: bool(harness.server.called("sendChatAction", 200)))
    harness.server.flood_limit = True
    busy = range(8000, 8040)
    for chat in busy:
        await harness.queue(chat, f"to {chat}")
    await harness.server.wait_for(lambda: len(harness.server.called("sendMessage", 200)) >= 25)
    harness.sender.typing(CHAT + 1)
    for chat in busy:
        await harness.texts(chat, 1)
    assert len(harness.server.called("sendChatAction")) == 1, "no typing while replies wait for budget"
    assert harness.server.called("sendMessage", 429) == []


# Restarts


async def test_what_was_pending_goes_on_start_and_a_half_sent_reply_resumes(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    long = Reply(text=paragraphs(25, 600), status=Status.ANSWERED)
    parts = split_text(long.text)
    now = datetime.now(UTC)
    await store.enqueue(
        [Outgoing(CHANNEL, "1", str(CHAT), long, now), Outgoing(CHANNEL, "1", str(CHAT), plain("next"), now)]
    )
    # A sender that died after the first part: its claim is still held, and its progress recorded.
    (first, _) = await store.claim_outbox(CHANNEL, "telegram", now, timedelta(minutes=2))
    await store.record_progress(first.id, 1)
    async with Bot(TOKEN, base_url=botapi.base_url) as bot:
        sender, task = await start_sender(botapi, store, bot, [], asyncio.Event())
        try:
            texts = [s.text for s in await botapi.wait_for_messages(CHAT, len(parts))]
        finally:
            await sender.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    await store.close()
    assert texts == [*parts[1:], "next"]


async def test_the_server_refuses_what_telegram_refuses(botapi: BotApiServer) -> None:
    async with Bot(TOKEN, base_url=botapi.base_url) as bot:
        for text, markup in [
            ("a < b", None),
            ("fish & chips", None),
            ("<b>unclosed", None),
            ("x" * 4097, None),
            ("fine", InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data="x" * 65)]])),
        ]:
            with pytest.raises(BadRequest):
                await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML, reply_markup=markup)
