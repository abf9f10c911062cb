"""Turning replies into Bot API calls: splitting, escaping, keyboards, files and bounded retries."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botapi import TOKEN, BotApiServer, Fault
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.request import HTTPXRequest

from bot.channels.telegram import deliver, keyboard, send_reply, split_text
from bot.core.types import Attachment, Button, Reply, Status
from bot.errors import DeliveryError

CHAT = 555


@pytest.fixture
async def bot(botapi: BotApiServer) -> AsyncIterator[Bot]:
    """A plain Bot talking to the loopback server, with a short read timeout."""
    client = Bot(TOKEN, base_url=botapi.base_url, request=HTTPXRequest(read_timeout=0.5))
    async with client:
        yield client


def paragraphs(count: int, size: int) -> str:
    return "\n\n".join(f"Paragraph {n}: " + "word " * (size // 5) for n in range(count))


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


async def test_a_long_reply_arrives_in_parts_with_the_keyboard_last(botapi: BotApiServer, bot: Bot) -> None:
    text = "Fees & loans <for 2026/27>\n\n" + paragraphs(25, 600)
    reply = Reply(text=text, status=Status.ANSWERED, buttons=(Button("Menu", "start:menu"),))
    await send_reply(bot, CHAT, reply)
    sent = botapi.to_chat(CHAT)
    assert len(sent) >= 3
    assert [bool(s.buttons) for s in sent] == [False] * (len(sent) - 1) + [True]
    assert sent[0].text.startswith("Fees & loans <for 2026/27>"), "text is escaped, not read as HTML"
    assert "\n\n".join(s.text for s in sent).split() == text.split()


async def test_an_oversized_payload_is_dropped_not_sent(botapi: BotApiServer, bot: Bot) -> None:
    buttons = (Button("Fine", "ask:e:fees"), Button("Too long", "ask:e:" + "x" * 64))
    await send_reply(bot, CHAT, Reply(text="Pick one", status=Status.SUGGESTED, buttons=buttons))
    assert botapi.to_chat(CHAT)[0].buttons == (("Fine", "ask:e:fees"),)


async def test_an_attachment_is_sent_as_a_document(botapi: BotApiServer, bot: Bot) -> None:
    data = b'{"sessions": []}'
    reply = Reply(
        "Here is your data.", Status.INFO, attachment=Attachment("my-data.json", data, "application/json")
    )
    await send_reply(bot, CHAT, reply)
    text, document = botapi.to_chat(CHAT)
    assert text.text == "Here is your data."
    assert (document.method, document.filename, document.content) == ("sendDocument", "my-data.json", data)


async def test_server_errors_are_retried_until_accepted_once(botapi: BotApiServer, bot: Bot) -> None:
    botapi.plan(Fault("sendMessage", times=2, status=503, description="Service Unavailable"))
    await deliver(lambda: bot.send_message(CHAT, "hello"), "sendMessage")
    assert [s.text for s in botapi.to_chat(CHAT)] == ["hello"]
    assert len(botapi.called("sendMessage", 503)) == 2


async def test_flood_waits_are_honoured_then_retried(botapi: BotApiServer, bot: Bot) -> None:
    botapi.plan(Fault("sendMessage", times=1, status=429, retry_after=1, description="Too Many Requests"))
    await deliver(lambda: bot.send_message(CHAT, "hello"), "sendMessage")
    assert [s.text for s in botapi.to_chat(CHAT)] == ["hello"]


async def test_retries_are_bounded(botapi: BotApiServer, bot: Bot) -> None:
    botapi.plan(Fault("sendMessage", times=10, status=502, description="Bad Gateway"))
    with pytest.raises(DeliveryError):
        await deliver(lambda: bot.send_message(CHAT, "hello"), "sendMessage")
    assert len(botapi.called("sendMessage", 502)) == 4
    assert botapi.to_chat(CHAT) == []


async def test_a_slow_answer_is_not_sent_twice(botapi: BotApiServer, bot: Bot) -> None:
    botapi.plan(Fault("sendMessage", times=1, delay=1.5))
    with pytest.raises(DeliveryError):
        await deliver(lambda: bot.send_message(CHAT, "hello"), "sendMessage")
    await botapi.wait_for(lambda: len(botapi.to_chat(CHAT)) == 1)
    assert [s.text for s in botapi.to_chat(CHAT)] == ["hello"], "Telegram may have it: never repeated"
    assert botapi.arrived.count("sendMessage") == 1


async def test_a_blocked_chat_is_not_retried(botapi: BotApiServer, bot: Bot) -> None:
    botapi.blocked.add(CHAT)
    with pytest.raises(Forbidden):
        await deliver(lambda: bot.send_message(CHAT, "hello"), "sendMessage")
    assert len(botapi.called("sendMessage", 403)) == 1


@pytest.mark.parametrize(
    ("text", "markup"),
    [
        ("a < b", None),
        ("fish & chips", None),
        ("<b>unclosed", None),
        ("x" * 4097, None),
        ("fine", InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data="x" * 65)]])),
    ],
)
async def test_the_server_refuses_what_telegram_refuses(
    bot: Bot, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML, reply_markup=markup)
