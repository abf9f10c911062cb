"""Webhook mode: Telegram is told the public URL and secret, and posts updates to the bot."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import httpx
from botapi import WAIT, BotApiServer, Person
from conftest import bot_config, expected_texts, until

from bot.app import open_app
from bot.channels.telegram import build_channel
from bot.config import Config
from bot.core.engine import Engine
from tests.ports import free_port

SECRET = "s3cret-Token_for-tests"


async def test_webhook_mode_answers_posted_updates(
    config: Config, botapi: BotApiServer, tmp_path: Path
) -> None:
    port = free_port()
    hook = replace(
        config.telegram.webhook,
        listen="127.0.0.1",
        port=port,
        path="/telegram",
        public_url="https://bot.example.org/telegram",
        secret=SECRET,
    )
    settings = bot_config(config, botapi, mode="webhook", webhook=hook)
    async with open_app(settings, database=tmp_path / "bot.sqlite3") as app:
        stop = asyncio.Event()
        task = asyncio.create_task(build_channel(app).run(settings.telegram, stop))
        await until(botapi.wait_for(lambda: bool(botapi.called("setWebhook", 200))), task)
        assert botapi.webhook["url"] == "https://bot.example.org/telegram"
        assert botapi.webhook["secret_token"] == SECRET

        sam = Person(401, "Sam")
        url = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient(timeout=WAIT) as client:
            forged = await client.post(
                url,
                content=json.dumps({"update_id": 1, **sam.text("/help")}),
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
            posted = await client.post(
                url,
                content=json.dumps({"update_id": 2, **sam.text("/start")}),
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
        assert forged.status_code == 403
        assert posted.status_code == 200
        replies = await botapi.wait_for_messages(sam.user_id, 1)
        assert replies[0].buttons
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert len(botapi.to_chat(sam.user_id)) == 1, "the forged update was not answered"


async def test_a_webhook_update_is_answered_200_only_once_it_is_stored(
    config: Config, botapi: BotApiServer, tmp_path: Path, engine: Engine
) -> None:
    expected = await expected_texts(engine, 999, ["/help"])
    port = free_port()
    hook = replace(
        config.telegram.webhook,
        listen="127.0.0.1",
        port=port,
        path="/telegram",
        public_url="https://bot.example.org/telegram",
        secret=SECRET,
    )
    settings = bot_config(config, botapi, mode="webhook", webhook=hook)
    sam = Person(402, "Sam")
    update = json.dumps({"update_id": 7, **sam.text("/help")})
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    url = f"http://127.0.0.1:{port}/telegram"
    async with open_app(settings, database=tmp_path / "bot.sqlite3") as app:
        stop = asyncio.Event()
        task = asyncio.create_task(build_channel(app).run(settings.telegram, stop))
        await until(botapi.wait_for(lambda: bool(botapi.called("setWebhook", 200))), task)
        async with httpx.AsyncClient(timeout=WAIT) as client:
            await app.store.close()  # the database is unreachable: nothing can be stored
            refused = await client.post(url, content=update, headers=headers)
            await app.store.open()
            taken = await client.post(url, content=update, headers=headers)
            again = await client.post(url, content=update, headers=headers)  # Telegram retrying
        await botapi.wait_for_messages(sam.user_id, len(expected))
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert refused.status_code == 503, "Telegram is told to post it again"
    assert (taken.status_code, again.status_code) == (200, 200)
    assert [s.text for s in botapi.to_chat(sam.user_id)] == expected, "answered once, not per post"
