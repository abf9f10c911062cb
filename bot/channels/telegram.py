"""The Telegram channel: Bot API updates become turns, and replies become Telegram messages."""

from __future__ import annotations

import asyncio
import html
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    Updater,
    filters,
)

from bot.app import App, open_app
from bot.config import Config, TelegramConfig
from bot.core.types import Button, Reply, Turn
from bot.errors import ConfigError, DeliveryError
from bot.knowledge.values import message

__all__ = [
    "CHANNEL",
    "PerUserOrder",
    "TelegramChannel",
    "build_application",
    "check_settings",
    "deliver",
    "keyboard",
    "run_application",
    "run_telegram",
    "send_reply",
    "split_text",
]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram's limit, counted after HTML entities are parsed
MAX_LABEL = 64
MAX_CALLBACK_BYTES = 64
SEND_ATTEMPTS = 4
LONGEST_WAIT = 60.0  # a flood wait longer than this is not worth holding a person's turn for
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "channel_post")
COMMAND_PREFIX = "command_"

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
CallbackContext = ContextTypes.DEFAULT_TYPE
T = TypeVar("T")

# Errors raised while the request was still on our side: Telegram cannot have acted on it.
_UNSENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Splits text into parts within the limit, at paragraphs, then lines, then anywhere."""
    parts: list[str] = []
    rest = text.strip()
    while _units(rest) > limit:
        head = _head(rest, limit)
        parts.append(head.rstrip())
        rest = rest[len(head) :].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _units(text: str) -> int:
    """Counts UTF-16 code units, which is how Telegram measures text."""
    return len(text.encode("utf-16-le")) // 2


def _head(text: str, limit: int) -> str:
    end = min(len(text), limit)
    while (excess := _units(text[:end]) - limit) > 0:
        end -= max(1, excess // 2)  # a character is one or two units, so this never cuts more than needed
    window = text[:end]
    for separator in ("\n\n", "\n"):
        cut = window.rfind(separator)
        # A break near the start would leave a tiny part; a later kind of break serves better.
        if cut > len(window) // 4:
            return window[:cut]
    return window


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Builds an inline keyboard, one button a row, leaving out any Telegram would refuse."""
    rows = [[_key(button)] for button in buttons if _sendable(button)]
    return InlineKeyboardMarkup(rows) if rows else None


def _sendable(button: Button) -> bool:
    size = len(button.payload.encode("utf-8"))
    if 0 < size <= MAX_CALLBACK_BYTES and button.label.strip():
        return True
    log.warning("button dropped: payload of %d bytes or empty label cannot be sent", size)
    return False


def _key(button: Button) -> InlineKeyboardButton:
    label = button.label.strip()
    if len(label) > MAX_LABEL:
        label = label[: MAX_LABEL - 1].rstrip() + "…"
    return InlineKeyboardButton(label, callback_data=button.payload)


async def deliver(call: Callable[[], Awaitable[T]], what: str) -> T:
    """Makes one Bot API call, repeating it only while Telegram surely has not accepted it."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
        except NetworkError as exc:
            if not _surely_unsent(exc):
                # The request may have arrived; sending it again could show the person a duplicate.
                raise DeliveryError(f"{what}: no answer from Telegram, not repeated") from exc
            wait = min(0.25 * 2 ** (attempt - 1), 5.0)
        if attempt == SEND_ATTEMPTS or wait > LONGEST_WAIT:
            break
        log.info("%s refused for now (attempt %d); retrying in %.1f s", what, attempt, wait)
        await asyncio.sleep(wait)
    raise DeliveryError(f"{what}: still refused after {attempt} attempt(s)")


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _surely_unsent(exc: NetworkError) -> bool:
    cause = exc.__cause__
    # No cause means Telegram answered with an error status, so it refused the call.
    return cause is None or isinstance(cause, _UNSENT_CAUSES)


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    """Sends one reply as HTML messages (keyboard on the last part) and its attachment, if any."""
    parts = split_text(reply.text)
    markup = keyboard(reply.buttons)
    if not parts and markup is not None:
        log.warning("a reply with buttons but no text cannot be sent; buttons dropped")
    for number, part in enumerate(parts, start=1):
        await _send_text(bot, chat_id, part, markup if number == len(parts) else None)
    if reply.attachment is not None:
        attachment = reply.attachment
        await deliver(
            lambda: bot.send_document(chat_id, attachment.content, filename=attachment.filename),
            "sendDocument",
        )


async def _send_text(bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
    escaped = html.escape(text, quote=False)
    await deliver(
        lambda: bot.send_message(chat_id, escaped, parse_mode=ParseMode.HTML, reply_markup=markup),
        "sendMessage",
    )


def _turn(user: User, **fields: Any) -> Turn:
    return Turn(
        channel=CHANNEL,
        user_id=str(user.id),
        username=user.username,
        display_name=user.full_name or None,
        **fields,
    )


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE and update.effective_user is not None


class TelegramChannel:
    """Carries one App's conversations over Telegram: updates in, replies out."""

    def __init__(self, app: App, typing_after: float = 0.5) -> None:
        self.app = app
        self.typing_after = typing_after
        self._noted_chats: set[int] = set()

    def say(self, key: str) -> str:
        """Returns a fixed sentence from the current knowledge."""
        return message(self.app.content.current.knowledge, key)

    def handlers(self) -> list[Any]:
        """Returns the update handlers, most specific first."""
        private = filters.ChatType.PRIVATE
        return [
            MessageHandler(filters.UpdateType.EDITED, self.on_edited),
            MessageHandler(~private, self.on_group),
            CommandHandler("start", self.on_start, filters=private),
            MessageHandler(filters.TEXT & private, self.on_text),
            MessageHandler(filters.ATTACHMENT & private, self.on_not_text),
            CallbackQueryHandler(self.on_button),
        ]

    async def announce_commands(self, application: TelegramApp) -> None:
        """Sets the command menu from telegram.yaml, listing only commands the bot has."""
        known = {name for journey in self.app.engine.journeys.values() for name in journey.commands}
        prefix = f"{CHANNEL}.{COMMAND_PREFIX}"
        commands = [
            BotCommand(key.removeprefix(prefix), text)
            for key, text in self.app.content.current.knowledge.messages.items()
            if key.startswith(prefix) and key.removeprefix(prefix) in known
        ]
        try:
            await application.bot.set_my_commands(commands)
        except TelegramError as exc:
            log.warning("could not set the command menu (%s); carrying on", type(exc).__name__)

    async def on_start(self, update: Update, context: CallbackContext) -> None:
        """Passes /start to the engine, with any deep-link payload as the campaign."""
        msg, user = update.effective_message, update.effective_user
        if msg is None or user is None:
            return
        payload = context.args[0][:64] if context.args else None
        await self._converse(context.bot, msg.chat_id, _turn(user, text="/start", start_payload=payload))

    async def on_text(self, update: Update, context: CallbackContext) -> None:
        """Passes typed text (and commands) to the engine and sends the replies."""
        msg, user = update.effective_message, update.effective_user
        if msg is None or user is None or msg.text is None:
            return
        await self._converse(context.bot, msg.chat_id, _turn(user, text=msg.text))

    async def on_button(self, update: Update, context: CallbackContext) -> None:
        """Acknowledges a button press and passes its payload to the engine."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        await self._acknowledge(query.answer)
        chat = query.message.chat if query.message is not None else None
        if chat is None or chat.type != ChatType.PRIVATE or query.data is None:
            return
        await self._converse(context.bot, chat.id, _turn(user, payload=query.data))

    async def on_not_text(self, update: Update, context: CallbackContext) -> None:
        """Tells the person the bot reads only text (stickers, photos, voice, files, places)."""
        msg = update.effective_message
        if msg is not None:
            await self._say_plainly(context.bot, msg.chat_id, "telegram.text_only", update)

    async def on_group(self, update: Update, context: CallbackContext) -> None:
        """Notes once per group or channel that the bot only chats one to one."""
        chat = update.effective_chat
        if chat is None or chat.id in self._noted_chats:
            return
        self._noted_chats.add(chat.id)
        await self._say_plainly(context.bot, chat.id, "telegram.group_note", update)

    async def on_edited(self, update: Update, context: CallbackContext) -> None:
        """Ignores edits: the earlier text has already been answered."""
        log.debug("update %s: edited message ignored", update.update_id)

    async def on_error(self, update: object, context: CallbackContext) -> None:
        """Logs an error without personal data and tells the person something went wrong."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        # Only the type is logged: exception texts can quote what a person wrote.
        trace = None if isinstance(error, TelegramError) else error
        log.error("update %s failed: %s", update_id, type(error).__name__, exc_info=trace)
        if not isinstance(update, Update) or not _private(update) or update.effective_chat is None:
            return
        if isinstance(error, Forbidden):
            await self._forget_chat(update)
        else:
            await self._say_plainly(context.bot, update.effective_chat.id, "core.error", update)

    async def _converse(self, bot: Bot, chat_id: int, turn: Turn) -> None:
        replies = await self._with_typing(bot, chat_id, self.app.engine.handle(turn))
        try:
            for reply in replies:
                await send_reply(bot, chat_id, reply)
        except Forbidden:
            log.info("a person can no longer be messaged; marking them inactive")
            await self.app.engine.mark_inactive(CHANNEL, turn.user_id)
        except DeliveryError as exc:
            log.warning("reply not delivered: %s", exc)
        except BadRequest as exc:
            log.error("Telegram refused a reply: %s", exc.message)

    async def _with_typing(self, bot: Bot, chat_id: int, work: Awaitable[list[Reply]]) -> list[Reply]:
        """Shows "typing…" only when the answer is slow, to save requests under the flood limit."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.typing_after)
        if not done:
            try:
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as exc:
                log.debug("typing indicator not shown: %s", type(exc).__name__)
        return await task

    async def _say_plainly(self, bot: Bot, chat_id: int, key: str, update: Update) -> None:
        text = html.escape(self.say(key), quote=False)
        try:
            await deliver(lambda: bot.send_message(chat_id, text, parse_mode=ParseMode.HTML), "sendMessage")
        except Forbidden:
            await self._forget_chat(update)
        except (TelegramError, DeliveryError) as exc:
            log.warning("update %s: could not send %s: %s", update.update_id, key, type(exc).__name__)

    async def _forget_chat(self, update: Update) -> None:
        """Marks the person inactive when their private chat refuses messages (bot blocked)."""
        if _private(update) and update.effective_user is not None:
            await self.app.engine.mark_inactive(CHANNEL, str(update.effective_user.id))

    @staticmethod
    async def _acknowledge(answer: Callable[[], Awaitable[bool]]) -> None:
        """Stops the button's spinner; an old press can no longer be answered, which is fine."""
        try:
            await answer()
        except TelegramError as exc:
            log.debug("button press not acknowledged: %s", type(exc).__name__)


class PerUserOrder(BaseUpdateProcessor):
    """Runs different people's updates in parallel and each person's updates in arrival order."""

    def __init__(self, max_concurrent_updates: int = 128) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Waits for this person's earlier updates, then processes this one."""
        key = _order_key(update)
        lock, waiting = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, waiting + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, waiting = self._locks[key]
            if waiting <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, waiting - 1)

    async def initialize(self) -> None:
        """Needs nothing set up."""

    async def shutdown(self) -> None:
        """Needs nothing released."""


def _order_key(update: object) -> Hashable:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("other", id(update))


def build_application(
    app: App,
    base_url: str | None = None,
    *,
    typing_after: float = 0.5,
    overall_max_rate: float = 30.0,
) -> TelegramApp:
    """Builds the PTB Application for an App; callers may add jobs to its job_queue before running it."""
    token = app.config.telegram.token
    if not token:
        raise ConfigError(_MISSING_TOKEN)
    channel = TelegramChannel(app, typing_after=typing_after)
    builder = (
        ApplicationBuilder()
        .token(token)
        .rate_limiter(AIORateLimiter(overall_max_rate=overall_max_rate, max_retries=3))
        .concurrent_updates(PerUserOrder())
        .post_init(channel.announce_commands)
    )
    url = base_url or app.config.telegram.api_base_url
    if url:
        builder = builder.base_url(url)
    application: TelegramApp = builder.build()
    application.add_handlers(channel.handlers())
    application.add_error_handler(channel.on_error)
    return application


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


async def run_application(application: TelegramApp, settings: TelegramConfig, stop: asyncio.Event) -> None:
    """Receives updates by long polling or webhook until stop is set, then shuts down cleanly."""
    check_settings(settings)
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        updater = application.updater
        if updater is None:
            raise ConfigError("the Telegram application was built without an updater")
        await _receive(updater, settings)
        await application.start()
        try:
            await stop.wait()
        finally:
            await updater.stop()
            await application.stop()


async def _receive(updater: Updater, settings: TelegramConfig) -> None:
    if settings.mode != "webhook":
        await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        return
    hook = settings.webhook
    await updater.start_webhook(
        listen=hook.listen,
        port=hook.port,
        url_path=hook.path,
        webhook_url=hook.public_url,
        secret_token=hook.secret,
        allowed_updates=ALLOWED_UPDATES,
    )


class Stoppable(Protocol):
    """Work the running bot does besides chatting (reloads, digests, purges), stopped on the way out."""

    async def stop(self) -> None:
        """Stops the work and waits for it to end."""
        ...


StartBackground = Callable[[App], Stoppable]


def run_telegram(
    config: Config, database: Path | None, start_background: StartBackground | None = None
) -> None:
    """Runs the Telegram bot until SIGINT or SIGTERM; raises ConfigError on bad settings."""
    check_settings(config.telegram)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
    # Opt in to PTB's future time values now, so flood waits do not log deprecation warnings.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(_serve(config, database, start_background))


async def _serve(config: Config, database: Path | None, start_background: StartBackground | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_app(config, database=database) as app:
        application = build_application(app)
        background = start_background(app) if start_background is not None else None
        try:
            await run_application(application, config.telegram, stop)
        except InvalidToken:
            raise ConfigError(
                "Telegram did not accept TELEGRAM_BOT_TOKEN: check it with @BotFather (/mybots)"
            ) from None
        finally:
            if background is not None:
                await background.stop()
