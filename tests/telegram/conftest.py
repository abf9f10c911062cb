"""Fixtures for the Telegram channel: a loopback Bot API server and the bot running against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from botapi import TOKEN, WAIT, BotApiServer

from bot.app import App, open_app
from bot.channels.telegram import CHANNEL, DeliverySettings, TelegramChannel, build_channel, split_text
from bot.config import Config
from bot.core.engine import Engine
from bot.core.types import Turn


@pytest.fixture(autouse=True)
def _timedelta_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opts in to PTB's timedelta values, as run_telegram does, so flood waits raise no warnings."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def botapi() -> AsyncIterator[BotApiServer]:
    """A Bot API server on a free loopback port."""
    server = BotApiServer()
    await server.start()
    yield server
    await server.stop()


def bot_config(config: Config, server: BotApiServer, **telegram: Any) -> Config:
    """The project's config, with a token and the loopback server as the Bot API."""
    settings = replace(config.telegram, token=TOKEN, api_base_url=server.base_url, **telegram)
    return replace(config, telegram=settings)


@dataclass
class RunningBot:
    """The bot running in this process against the loopback server."""

    app: App
    server: BotApiServer
    stop: asyncio.Event
    task: asyncio.Task[None]
    channel: TelegramChannel


async def until(ready: Awaitable[None], running: asyncio.Task[None]) -> None:
    """Waits for `ready`, failing at once if the bot stops first."""
    waiter = asyncio.ensure_future(ready)
    done, _ = await asyncio.wait({waiter, running}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
    if running in done:
        waiter.cancel()
        running.result()
        raise AssertionError("the bot stopped before it was ready")
    if waiter not in done:
        waiter.cancel()
        raise AssertionError("the bot did not get ready in time")
    waiter.result()


async def start_bot(
    config: Config,
    server: BotApiServer,
    database: Path,
    settings: DeliverySettings | None = None,
    read_timeout: float = 10.0,
) -> AsyncIterator[RunningBot]:
    """Runs the bot by long polling until the caller is done with it."""
    async with open_app(config, database=database) as app:
        channel = build_channel(app, settings=settings, read_timeout=read_timeout)
        stop = asyncio.Event()
        task = asyncio.create_task(channel.run(config.telegram, stop))
        await until(server.wait_for(lambda: "getUpdates" in server.arrived), task)
        yield RunningBot(app=app, server=server, stop=stop, task=task, channel=channel)
        stop.set()
        await asyncio.wait_for(task, WAIT)


@pytest.fixture
async def running(config: Config, botapi: BotApiServer, tmp_path: Path) -> AsyncIterator[RunningBot]:
    """The bot, polling the loopback server, with a SQLite database in tmp_path."""
    async for bot in start_bot(bot_config(config, botapi), botapi, tmp_path / "bot.sqlite3"):
        yield bot


async def expected_texts(engine: Engine, user_id: int, texts: list[str]) -> list[str]:
    """What the bot should send, in order, for these messages: the engine's replies, cut as sent."""
    shown: list[str] = []
    for text in texts:
        for reply in await engine.handle(Turn(channel=CHANNEL, user_id=str(user_id), text=text)):
            shown.extend(split_text(reply.text))
    return shown
