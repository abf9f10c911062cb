"""Digests to a Telegram chat: the sink's messages, and the sender against a loopback Bot API server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from bot.channels.telegram_sender import open_telegram_sender
from bot.config import Config
from bot.core.clock import FixedClock
from bot.errors import DeliveryError
from bot.knowledge.model import Knowledge
from bot.referrals.delivery import TELEGRAM_TEXT_LIMIT, TelegramDigestSink, UnavailableSender, split_text
from bot.referrals.ledger import Outcome, run_digests
from bot.referrals.model import ReferralStatus
from bot.storage.sqlite import SqliteStore

from .conftest import CHAT, NOW, referral

TOKEN = "123456:TEST"


@dataclass
class RecordingSender:
    """A ChatSender that keeps what it was asked to send."""

    sent: list[tuple[str, int, Any]] = field(default_factory=list)

    async def send_text(self, chat_id: int, text: str) -> None:
        self.sent.append(("text", chat_id, text))

    async def send_document(self, chat_id: int, filename: str, content: bytes) -> None:
        self.sent.append(("document", chat_id, (filename, content)))


async def test_a_telegram_digest_is_the_text_then_the_csv(
    db: SqliteStore, knowledge: Knowledge, config: Config
) -> None:
    for n in range(1, 41):
        await db.add_referral(referral(n, CHAT))
    sender = RecordingSender()
    report = await run_digests(db, knowledge, [TelegramDigestSink(sender)], config, FixedClock(NOW))
    kinds = [kind for kind, _chat, _body in sender.sent]
    assert kinds[-1] == "document"
    assert set(kinds[:-1]) == {"text"}
    assert len(kinds) > 2, "forty people do not fit in one Telegram message"
    assert {chat for _kind, chat, _body in sender.sent} == {-100}
    texts = [body for kind, _chat, body in sender.sent if kind == "text"]
    assert all(len(t) <= TELEGRAM_TEXT_LIMIT for t in texts)
    joined = "\n".join(texts)
    assert all(f"Person {n} Example" in joined for n in range(1, 41))
    filename, content = sender.sent[-1][2]
    (digest_id,) = next(p for p in report.providers if p.provider_id == CHAT).digest_ids
    assert digest_id in filename
    assert b"Person 40 Example" in content


async def test_an_unavailable_telegram_keeps_the_referrals_waiting(
    db: SqliteStore, knowledge: Knowledge, config: Config
) -> None:
    await db.add_referral(referral(1, CHAT))
    sink = TelegramDigestSink(UnavailableSender("TELEGRAM_BOT_TOKEN is not set"))
    report = await run_digests(db, knowledge, [sink], config, FixedClock(NOW))
    (chat,) = [p for p in report.providers if p.provider_id == CHAT]
    assert chat.outcome is Outcome.FAILED
    assert chat.error == "TELEGRAM_BOT_TOKEN is not set"
    (still,) = await db.referrals_by_id(["ref-1"])
    assert still.status is ReferralStatus.PENDING


def test_long_text_is_split_at_paragraphs() -> None:
    paragraphs = [f"paragraph {n} " + "x" * 50 for n in range(10)]
    pieces = split_text("\n\n".join(paragraphs), 140)
    assert all(len(p) <= 140 for p in pieces)
    assert "\n\n".join(pieces) == "\n\n".join(paragraphs)
    assert split_text("y" * 25, 10) == ["y" * 10, "y" * 10, "y" * 5]


@dataclass
class BotApi:
    """What the loopback Bot API server received, and whether it should refuse sends."""

    calls: list[tuple[str, bytes]] = field(default_factory=list)
    refuse: bool = False
    url: str = ""


def _result(method: str) -> Any:
    if method == "getMe":
        return {"id": 1, "is_bot": True, "first_name": "Digest", "username": "digest_bot"}
    message: dict[str, Any] = {"message_id": 7, "date": 0, "chat": {"id": -100, "type": "group"}}
    if method == "sendDocument":
        message["document"] = {"file_id": "f1", "file_unique_id": "u1", "file_name": "x.csv"}
    else:
        message["text"] = "ok"
    return message


@pytest.fixture
def bot_api() -> Iterator[BotApi]:
    """A Bot API server on 127.0.0.1 that answers getMe, sendMessage and sendDocument."""
    api = BotApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            method = self.path.rsplit("/", 1)[-1]
            api.calls.append((method, body))
            if api.refuse and method != "getMe":
                status, reply = (
                    403,
                    {"ok": False, "error_code": 403, "description": "Forbidden: bot was kicked"},
                )
            else:
                status, reply = 200, {"ok": True, "result": _result(method)}
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Keeps the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/bot"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_the_telegram_sender_speaks_the_bot_api(bot_api: BotApi) -> None:
    async with open_telegram_sender(TOKEN, bot_api.url) as sender:
        await sender.send_text(-100, "Referrals for Chat Partnership")
        await sender.send_document(-100, "referrals-dg-1.csv", b"Name\r\nPerson 1 Example\r\n")
    methods = [method for method, _body in bot_api.calls]
    assert methods == ["getMe", "sendMessage", "sendDocument"]
    form = parse_qs(bot_api.calls[1][1].decode())
    assert form == {"chat_id": ["-100"], "text": ["Referrals for Chat Partnership"]}
    assert b"referrals-dg-1.csv" in bot_api.calls[2][1]
    assert b"Person 1 Example" in bot_api.calls[2][1]


async def test_telegram_refusals_become_delivery_errors(bot_api: BotApi) -> None:
    bot_api.refuse = True
    async with open_telegram_sender(TOKEN, bot_api.url) as sender:
        with pytest.raises(DeliveryError, match="kicked"):
            await sender.send_text(-100, "hello")
        with pytest.raises(DeliveryError, match="kicked"):
            await sender.send_document(-100, "a.csv", b"x")
