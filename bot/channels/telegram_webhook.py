"""The Telegram webhook: a small HTTP/1.1 receiver that answers 200 only once an update is stored.

Telegram posts each update and re-posts it until it gets a 2xx. Answering only after the turn, its
update id and its replies are committed means a crash in between makes Telegram offer the update
again, and the inbox makes that second offer harmless.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from telegram import Bot, Update

__all__ = ["WebhookReceiver"]

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # Telegram's updates are far smaller; anything bigger is not from Telegram
SECRET_HEADER = "x-telegram-bot-api-secret-token"
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable"}

Take = Callable[[Update], Awaitable[bool]]


class WebhookReceiver:
    """Listens on one address for Telegram's posts to `path`, and hands each update to `take`."""

    def __init__(self, bot: Bot, take: Take, path: str, secret: str) -> None:
        self._bot = bot
        self._take = take
        self._path = path
        self._secret = secret.encode("utf-8")
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> None:
        """Starts listening."""
        self._server = await asyncio.start_server(self._serve, host, port)

    async def stop(self) -> None:
        """Stops listening and closes open connections (an update being stored is finished first)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while (request := await _read(reader)) is not None:
                status = await self._answer(*request)
                writer.write(_response(status))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        if method != "POST" or path.split("?")[0] != self._path:
            return 404
        given = headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, self._secret):
            log.warning("a webhook request without the right secret was refused")
            return 403
        try:
            update = Update.de_json(json.loads(body), self._bot)
        except (ValueError, TypeError, KeyError):
            log.warning("a webhook request that is not an update was refused")
            return 400
        # 503 makes Telegram post the update again later: nothing of it was stored.
        return 200 if await self._take(update) else 503


async def _read(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    if length > MAX_BODY:
        raise ValueError("request body too large")
    return method, path, headers, await reader.readexactly(length)


def _response(status: int) -> bytes:
    head = f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Length: 0\r\n\r\n"
    return head.encode("latin-1")
