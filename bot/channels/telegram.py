"""The Telegram channel: Bot API updates become turns, acknowledged only once they are safely stored.

Updates come by long polling (the bot drives getUpdates itself and moves its offset past an update
only when that update's turn, id and replies are committed) or by webhook (answered 200 only after
the commit). Replies go out from the outbox through OutboxSender, so a crash at any moment loses
nothing acknowledged: on start the bot sends whatever is still pending.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Hashable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from telegram import Bot, BotCommand, Update, User
from telegram.constants import ChatType
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.app import App, open_app
from bot.channels.telegram_outbox import (
    CHANNEL,
    MAX_CALLBACK_BYTES,
    MAX_LABEL,
    MAX_TEXT,
    DeliverySettings,
    OutboxSender,
    keyboard,
    split_text,
)
from bot.channels.telegram_webhook import WebhookReceiver
from bot.config import Config, Database, TelegramConfig
from bot.core.engine import Intake
from bot.core.types import Reply, Status, Turn
from bot.errors import ConfigError, StorageError
from bot.knowledge.values import message
from bot.storage.base import Outgoing

__all__ = [
    "CHANNEL",
    "MAX_CALLBACK_BYTES",
    "MAX_LABEL",
    "MAX_TEXT",
    "DeliverySettings",
    "TelegramChannel",
    "build_channel",
    "check_settings",
    "keyboard",
    "run_telegram",
    "split_text",
]

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "channel_post")
COMMAND_PREFIX = "command_"
POLL_SECONDS = 25  # how long one getUpdates waits for news
RETRY_SECONDS = 1.0  # the pause after Telegram or the store failed, before offering updates again


def _turn(user: User, text: str = "", payload: str | None = None) -> Turn:
    return Turn(
        channel=CHANNEL,
        user_id=str(user.id),
        text=text,
        payload=payload,
        username=user.username,
        display_name=user.full_name or None,
    )


def _order_key(update: Update) -> Hashable:
    """Updates with one key are taken one after another, in order: one person's, or one chat's."""
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    return ("update", update.update_id)


@dataclass(frozen=True, slots=True)
class _Note:
    """A fixed sentence to send for an update the engine does not handle."""

    chat_id: int
    user_id: str
    key: str


class TelegramChannel:
    """Carries one App's conversations over Telegram: updates in, replies out through the outbox."""

    def __init__(
        self, app: App, bot: Bot, settings: DeliverySettings | None = None, typing_after: float = 0.5
    ) -> None:
        self.app = app
        self.bot = bot
        self.typing_after = typing_after
        self.sender = OutboxSender(
            bot, app.store, lambda: self.say("core.error"), self._blocked, settings or DeliverySettings()
        )
        self._noted_chats: set[int] = set()

    def say(self, key: str) -> str:
        """Returns a fixed sentence from the current knowledge."""
        return message(self.app.content.current.knowledge, key)

    async def announce_commands(self) -> None:
        """Sets the command menu from telegram.yaml, listing only commands the bot has."""
        known = {name for journey in self.app.engine.journeys.values() for name in journey.commands}
        prefix = f"{CHANNEL}.{COMMAND_PREFIX}"
        commands = [
            BotCommand(key.removeprefix(prefix), text)
            for key, text in self.app.content.current.knowledge.messages.items()
            if key.startswith(prefix) and key.removeprefix(prefix) in known
        ]
        try:
            await self.bot.set_my_commands(commands)
        except TelegramError as exc:
            log.warning("could not set the command menu (%s); carrying on", type(exc).__name__)

    async def take(self, update: Update) -> bool:
        """Handles one update; True once it may be acknowledged (stored, a redelivery, or ignored)."""
        try:
            return await self._take(update)
        except StorageError:
            log.exception("update %s could not be stored; it will be offered again", update.update_id)
            return False
        except Exception as exc:
            # Only the type is logged: exception texts can quote what a person wrote. Offering the
            # update again would fail the same way for ever, so it is let go.
            log.error("update %s failed: %s", update.update_id, type(exc).__name__)
            return True

    async def take_all(self, updates: Sequence[Update]) -> list[bool]:
        """Handles updates, each person's in order and different people's at once; says which are done."""
        lines: dict[Hashable, list[int]] = {}
        for index, update in enumerate(updates):
            lines.setdefault(_order_key(update), []).append(index)
        done = [False] * len(updates)

        async def line(indexes: list[int]) -> None:
            for index in indexes:
                done[index] = await self.take(updates[index])
                if not done[index]:
                    return  # later updates of this person wait until this one is stored

        await asyncio.gather(*(line(indexes) for indexes in lines.values()))
        return done

    async def _take(self, update: Update) -> bool:
        if update.edited_message is not None or update.edited_channel_post is not None:
            log.debug("update %s: edited message ignored", update.update_id)
            return True
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return True
        if chat.type != ChatType.PRIVATE or user is None:
            return await self._note_group(update, chat.id)
        query = update.callback_query
        if query is not None:
            await self._acknowledge(query.answer)
            if query.data is None:
                return True
            return await self._converse(update, chat.id, _turn(user, payload=query.data))
        msg = update.message
        if msg is None:
            return True
        if msg.text is not None:
            return await self._converse(update, chat.id, _turn(user, text=msg.text))
        if msg.effective_attachment is not None or msg.location is not None:
            return await self._note(update, _Note(chat.id, str(user.id), "telegram.text_only"))
        return True

    async def _converse(self, update: Update, chat_id: int, turn: Turn) -> bool:
        work = asyncio.ensure_future(self.app.engine.accept(turn, str(update.update_id), str(chat_id)))
        done, _ = await asyncio.wait({work}, timeout=self.typing_after)
        if not done:
            self.sender.typing(chat_id)  # only when the answer is slow, and only from spare budget
        intake = await work
        if intake is Intake.ACCEPTED:
            self.sender.wake()
        return intake is not Intake.FAILED

    async def _note_group(self, update: Update, chat_id: int) -> bool:
        """Notes once per group or channel that the bot only chats one to one."""
        if chat_id in self._noted_chats:
            return True
        self._noted_chats.add(chat_id)
        return await self._note(update, _Note(chat_id, str(chat_id), "telegram.group_note"))

    async def _note(self, update: Update, note: _Note) -> bool:
        reply = Reply(text=self.say(note.key), status=Status.INFO)
        queued = Outgoing(CHANNEL, note.user_id, str(note.chat_id), reply, datetime.now(UTC))
        if await self.app.store.accept_update(CHANNEL, str(update.update_id), queued.created_at, [queued]):
            self.sender.wake()
        return True

    async def _blocked(self, user_id: str) -> None:
        """Marks the person inactive when their chat refuses messages (they blocked the bot)."""
        try:
            await self.app.engine.mark_inactive(CHANNEL, user_id)
        except StorageError:
            log.exception("could not mark a person inactive")

    @staticmethod
    async def _acknowledge(answer: Callable[[], Awaitable[bool]]) -> None:
        """Stops the button's spinner; an old press can no longer be answered, which is fine."""
        try:
            await answer()
        except TelegramError as exc:
            log.debug("button press not acknowledged: %s", type(exc).__name__)

    async def poll(self, stop: asyncio.Event) -> None:
        """Long-polls until stop is set, moving the offset past an update only once it is stored."""
        offset: int | None = None
        while not stop.is_set():
            updates = await self._next_updates(offset, stop)
            if not updates:
                continue
            done = await self.take_all(updates)
            for update, ok in zip(updates, done, strict=True):
                if not ok:
                    break
                offset = update.update_id + 1
            if not all(done):
                await _pause(stop, RETRY_SECONDS)
        if offset is not None:
            # Tells Telegram what was stored, so a restart is not offered it again (the inbox would skip it).
            with suppress(TelegramError):
                await self.bot.get_updates(offset=offset, timeout=0, limit=1)

    async def _next_updates(self, offset: int | None, stop: asyncio.Event) -> tuple[Update, ...]:
        fetch = asyncio.ensure_future(
            self.bot.get_updates(offset=offset, timeout=POLL_SECONDS, allowed_updates=ALLOWED_UPDATES)
        )
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not fetch.done():
            fetch.cancel()
            return ()
        try:
            return fetch.result()
        except RetryAfter as exc:
            await _pause(stop, float(_seconds(exc.retry_after)))
        except Conflict:
            log.error("another copy of the bot is polling with this token; waiting for it to stop")
            await _pause(stop, 5.0)
        except (NetworkError, TelegramError) as exc:
            log.warning("getUpdates failed (%s); trying again", type(exc).__name__)
            await _pause(stop, RETRY_SECONDS)
        return ()

    async def run(self, settings: TelegramConfig, stop: asyncio.Event) -> None:
        """Receives updates by long polling or webhook and sends the outbox until stop is set."""
        check_settings(settings)
        async with self.bot:
            await self.announce_commands()
            sending = asyncio.create_task(self.sender.run())
            try:
                if settings.mode == "webhook":
                    await self._serve_webhook(settings, stop)
                else:
                    await self.bot.delete_webhook()
                    await self.poll(stop)
            finally:
                await self.sender.stop()
                sending.cancel()
                with suppress(asyncio.CancelledError):
                    await sending

    async def _serve_webhook(self, settings: TelegramConfig, stop: asyncio.Event) -> None:
        hook = settings.webhook
        receiver = WebhookReceiver(self.bot, self.take, hook.path, hook.secret or "")
        await receiver.start(hook.listen, hook.port)
        try:
            await self.bot.set_webhook(
                url=hook.public_url, secret_token=hook.secret, allowed_updates=ALLOWED_UPDATES
            )
            await stop.wait()
        finally:
            await receiver.stop()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


def build_channel(
    app: App,
    base_url: str | None = None,
    *,
    settings: DeliverySettings | None = None,
    read_timeout: float = 10.0,
    typing_after: float = 0.5,
) -> TelegramChannel:
    """Builds the Telegram channel for an App, talking to Telegram (or the Bot API server at base_url)."""
    token = app.config.telegram.token
    if not token:
        raise ConfigError(_MISSING_TOKEN)
    url = base_url or app.config.telegram.api_base_url
    # Replies to many chats go out at once, so the pool has room for a full second's budget.
    sending = HTTPXRequest(connection_pool_size=64, read_timeout=read_timeout, pool_timeout=read_timeout)
    polling = HTTPXRequest(connection_pool_size=2, read_timeout=POLL_SECONDS + 10)
    bot = (
        Bot(token, base_url=url, request=sending, get_updates_request=polling)
        if url
        else Bot(token, request=sending, get_updates_request=polling)
    )
    chosen = settings or DeliverySettings(max_age=app.config.telegram.reply_max_age)
    return TelegramChannel(app, bot, chosen, typing_after=typing_after)


_MISSING_TOKEN = (
    "no Telegram bot token: set TELEGRAM_BOT_TOKEN. To get a token, message @BotFather on Telegram, "
    "send /newbot and follow the steps; it replies with the token."
)


def check_settings(settings: TelegramConfig) -> None:
    """Raises ConfigError when the token is missing or webhook mode lacks its URL or secret."""
    if not settings.token:
        raise ConfigError(_MISSING_TOKEN)
    if settings.mode != "webhook":
        return
    if not settings.webhook.public_url:
        raise ConfigError(
            "webhook mode needs telegram.webhook.public_url in the config file: the https address "
            "Telegram should call (your TLS proxy forwards it to the listen address and port)"
        )
    if not settings.webhook.secret:
        raise ConfigError(
            "webhook mode needs TELEGRAM_WEBHOOK_SECRET: a random string of 1-256 letters, digits, _ "
            "or -, which Telegram sends with every update so others cannot post to the webhook"
        )


class Stoppable(Protocol):
    """Work the running bot does besides chatting (reloads, digests, purges), stopped on the way out."""

    async def stop(self) -> None:
        """Stops the work and waits for it to end."""
        ...


StartBackground = Callable[[App], Stoppable]


def run_telegram(
    config: Config, database: Database | None, start_background: StartBackground | None = None
) -> None:
    """Runs the Telegram bot until SIGINT or SIGTERM; raises ConfigError on bad settings."""
    check_settings(config.telegram)
    # Opt in to PTB's future time values now, so flood waits do not log deprecation warnings.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(_serve(config, database, start_background))


async def _serve(config: Config, database: Database | None, start_background: StartBackground | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_app(config, database=database) as app:
        channel = build_channel(app)
        background = start_background(app) if start_background is not None else None
        try:
            await channel.run(config.telegram, stop)
        except InvalidToken:
            raise ConfigError(
                "Telegram did not accept TELEGRAM_BOT_TOKEN: check it with @BotFather (/mybots)"
            ) from None
        finally:
            if background is not None:
                await background.stop()
