"""Delivering the Telegram outbox: per-chat queues, Telegram's flood limits, and what each error means.

Every reply is in the store's outbox before it is sent. The sender claims pending messages, keeps
one queue per chat so each person's replies arrive in order, and spends one shared budget of at
most 30 requests in any rolling second (group chats also at most 20 a minute). What Telegram
answers decides the rest:

    200                         sent; the message is finished
    429 retry_after             only this chat waits, for the whole retry_after, then tries again
    5xx, an HTML error page,    Telegram did not take it: tried again with growing pauses
      no connection
    403                         the person blocked the bot: marked inactive, their queue dropped
    400 (and other refusals)    logged with the method and dropped; the person is told something
                                went wrong
    no answer in time           the request went out, so Telegram may have shown it: it is not
                                sent again, and the message is finished as "unknown"

A message still undelivered after the configured age is dropped, logged and counted instead of
arriving late and out of context.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.pacing import RollingBudget
from bot.core.types import Button, Reply, Status
from bot.errors import StorageError
from bot.storage.base import DeliveryOutcome, OutboxMessage, Outgoing, Store

__all__ = ["CHANNEL", "DeliverySettings", "OutboxSender", "keyboard", "split_text"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram's limit, counted after HTML entities are parsed
MAX_LABEL = 64
MAX_CALLBACK_BYTES = 64
LEASE = timedelta(minutes=2)  # how long a claim lasts unless renewed; renewed every REFILL_SECONDS
REFILL_SECONDS = 2.0
TYPING_SPARE = 10  # the typing indicator uses the budget only while this many places stay free

# Errors raised while the request was still on our side: Telegram cannot have acted on it.
_UNSENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout)


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How the sender paces and ages messages; the defaults are Telegram's published limits."""

    max_age: timedelta = timedelta(minutes=10)
    per_second: int = 30
    group_per_minute: int = 20
    first_pause: float = 0.5  # seconds before retrying after a 5xx; doubled each time
    longest_pause: float = 30.0
    worker: str = "telegram"  # the claim name; a second worker sharing the outbox needs its own


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


@dataclass(frozen=True, slots=True)
class _Part:
    """One Bot API request a reply becomes."""

    method: str
    call: Callable[[], Awaitable[Any]]


def parts_of(bot: Bot, chat_id: int, reply: Reply) -> list[_Part]:
    """Returns the requests that send a reply: its text in parts (keyboard on the last), then its file."""
    texts = split_text(reply.text)
    markup = keyboard(reply.buttons)
    if not texts and markup is not None:
        log.warning("a reply with buttons but no text cannot be sent; buttons dropped")
    parts = [
        _Part("sendMessage", _text_call(bot, chat_id, text, markup if n == len(texts) else None))
        for n, text in enumerate(texts, start=1)
    ]
    if reply.attachment is not None:
        file = reply.attachment
        parts.append(
            _Part("sendDocument", lambda: bot.send_document(chat_id, file.content, filename=file.filename))
        )
    return parts


def _text_call(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> Callable[[], Awaitable[Any]]:
    escaped = html.escape(text, quote=False)
    return lambda: bot.send_message(chat_id, escaped, parse_mode=ParseMode.HTML, reply_markup=markup)


def _surely_unsent(exc: NetworkError) -> bool:
    """True when Telegram surely did not act on the request, so sending it again cannot duplicate it."""
    cause = exc.__cause__
    # No cause: Telegram answered with an error status. A TelegramError cause: it answered with a page
    # that is not JSON (a proxy's HTML 502). Either way it refused the request.
    return cause is None or isinstance(cause, (TelegramError, *_UNSENT_CAUSES))


@dataclass
class _Chat:
    """One chat's queue, and until when Telegram asked it to wait."""

    address: str
    queue: deque[OutboxMessage] = field(default_factory=deque)
    paused_until: float = 0.0
    runner: asyncio.Task[None] | None = None
    group_budget: RollingBudget | None = None
    in_flight: bool = False  # a request is out, or its outcome is being recorded


OnBlocked = Callable[[str], Awaitable[None]]


class OutboxSender:
    """Delivers the Telegram outbox: claims pending messages, queues them per chat, and sends them."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        apology: Callable[[], str],
        on_blocked: OnBlocked,
        settings: DeliverySettings | None = None,
    ) -> None:
        self.bot = bot
        self.store = store
        self.settings = settings or DeliverySettings()
        self.outcomes: Counter[str] = Counter()  # this run's finished messages, by outcome
        self._apology = apology
        self._on_blocked = on_blocked
        self._budget = RollingBudget(self.settings.per_second, 1.0)
        self._chats: dict[str, _Chat] = {}
        self._held: set[int] = set()
        self._woken = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Says new messages are in the outbox, so they are claimed now rather than at the next round."""
        self._woken.set()

    async def run(self) -> None:
        """Sends what was pending at start, then whatever is queued, until cancelled or stopped."""
        try:
            await self.store.release_outbox(CHANNEL, self.settings.worker)
        except StorageError:
            log.exception("could not release earlier outbox claims; they are claimed when they lapse")
        while not self._stopping:
            self._woken.clear()
            claimed = await self._claim()
            self._queue(claimed)
            if len(claimed) < 500:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._woken.wait(), REFILL_SECONDS)

    async def stop(self, grace: float = 5.0) -> None:
        """Stops claiming, lets requests under way finish (within grace seconds), and stops the rest."""
        self._stopping = True
        self._woken.set()
        waiting = [c.runner for c in self._chats.values() if c.runner is not None and not c.in_flight]
        for task in waiting:  # nothing of theirs is out: stopping now loses nothing
            task.cancel()
        sending = [c.runner for c in self._chats.values() if c.runner is not None and c.in_flight]
        late: set[asyncio.Task[None]] = set()
        if sending:
            _, late = await asyncio.wait(sending, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*waiting, *sending, return_exceptions=True)

    def typing(self, chat_id: int) -> None:
        """Shows "typing…" in a chat only from spare budget, so it never holds back a reply."""
        chat = self._chats.get(str(chat_id))
        if (chat is not None and chat.queue) or not self._budget.try_take(TYPING_SPARE):
            return
        asyncio.get_running_loop().create_task(self._show_typing(chat_id))

    async def _show_typing(self, chat_id: int) -> None:
        try:
            await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("typing indicator not shown: %s", type(exc).__name__)
        finally:
            self._budget.give_back()

    async def _claim(self) -> Sequence[OutboxMessage]:
        try:
            return await self.store.claim_outbox(CHANNEL, self.settings.worker, _now(), LEASE)
        except StorageError:
            log.exception("could not claim outbox messages; trying again shortly")
            return ()

    def _queue(self, messages: Sequence[OutboxMessage]) -> None:
        for message in messages:
            if message.id in self._held:
                continue
            address = message.outgoing.address
            chat = self._chats.get(address)
            if chat is None:
                group = (
                    RollingBudget(self.settings.group_per_minute, 60.0) if address.startswith("-") else None
                )
                chat = self._chats[address] = _Chat(address, group_budget=group)
            self._held.add(message.id)
            chat.queue.append(message)
            if chat.runner is None:
                chat.runner = asyncio.get_running_loop().create_task(self._serve(chat))

    async def _serve(self, chat: _Chat) -> None:
        """Sends one chat's messages in order, one request at a time."""
        try:
            while chat.queue and not self._stopping:
                message = chat.queue[0]
                try:
                    outcome = await self._deliver(chat, message)
                except Exception:  # a fault here must not silence the chat for the rest of the run
                    log.exception("a reply could not be delivered")
                    outcome = DeliveryOutcome.REFUSED
                chat.in_flight = True  # recording the outcome must not be cut short either
                try:
                    await self._finish(message, outcome)
                finally:
                    chat.in_flight = False
                chat.queue.popleft()
                self._held.discard(message.id)
                if outcome is DeliveryOutcome.BLOCKED:
                    await self._drop_all(chat)
        finally:
            chat.runner = None
            if not chat.queue:
                self._chats.pop(chat.address, None)

    async def _deliver(self, chat: _Chat, message: OutboxMessage) -> DeliveryOutcome:
        reply = message.outgoing.reply
        parts = parts_of(self.bot, int(chat.address), reply)
        result = DeliveryOutcome.SENT
        for index in range(message.parts_done, len(parts)):
            outcome = await self._send(chat, message, parts[index])
            if outcome in (DeliveryOutcome.EXPIRED, DeliveryOutcome.BLOCKED):
                return outcome
            if outcome is not DeliveryOutcome.SENT:
                result = outcome
            if index + 1 < len(parts):
                await self._progress(message, index + 1)
        if result is DeliveryOutcome.REFUSED and reply.status is not Status.ERROR:
            await self._apologise(message.outgoing)
        return result

    async def _send(self, chat: _Chat, message: OutboxMessage, part: _Part) -> DeliveryOutcome:
        """Makes one request until Telegram takes it, refuses it for good, or the message is too old."""
        attempt = 0
        while True:
            left = self._time_left(message)
            if left <= 0:
                return self._expired(message)
            pause = chat.paused_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(min(pause, left))
                continue
            try:
                await self._request(chat, part)
                return DeliveryOutcome.SENT
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                log.info("Telegram asked one chat to wait %.0f s before %s", wait, part.method)
                chat.paused_until = time.monotonic() + wait
            except Forbidden:
                log.info("a person can no longer be messaged; marking them inactive")
                return DeliveryOutcome.BLOCKED
            except BadRequest as exc:
                log.error("Telegram refused %s: %s", part.method, exc.message)
                return DeliveryOutcome.REFUSED
            except NetworkError as exc:  # TimedOut is a NetworkError too
                if not _surely_unsent(exc):
                    kind = "no answer in time" if isinstance(exc, TimedOut) else type(exc.__cause__).__name__
                    log.warning("%s went out but got no answer (%s); not sent again", part.method, kind)
                    return DeliveryOutcome.UNKNOWN
                pause = min(self.settings.first_pause * 2**attempt, self.settings.longest_pause)
                attempt += 1
                log.info("%s not taken (%s); trying again in %.1f s", part.method, exc.message, pause)
                chat.paused_until = time.monotonic() + pause
            except TelegramError as exc:
                log.error("Telegram refused %s: %s (%s)", part.method, exc.message, type(exc).__name__)
                return DeliveryOutcome.REFUSED

    async def _request(self, chat: _Chat, part: _Part) -> None:
        if chat.group_budget is None:
            async with self._budget.slot():
                await self._call(chat, part)
            return
        async with chat.group_budget.slot(), self._budget.slot():
            await self._call(chat, part)

    @staticmethod
    async def _call(chat: _Chat, part: _Part) -> None:
        chat.in_flight = True
        try:
            await part.call()
        finally:
            chat.in_flight = False

    def _time_left(self, message: OutboxMessage) -> float:
        deadline = message.outgoing.created_at + self.settings.max_age
        return (deadline - _now()).total_seconds()

    def _expired(self, message: OutboxMessage) -> DeliveryOutcome:
        age = (_now() - message.outgoing.created_at).total_seconds()
        dropped = self.outcomes[DeliveryOutcome.EXPIRED.value] + 1
        log.warning("a reply undelivered after %.0f s was dropped (%d so far)", age, dropped)
        return DeliveryOutcome.EXPIRED

    async def _apologise(self, outgoing: Outgoing) -> None:
        sorry = Reply(text=self._apology(), status=Status.ERROR)
        try:
            await self.store.enqueue([Outgoing(CHANNEL, outgoing.user_id, outgoing.address, sorry, _now())])
        except StorageError:
            log.exception("could not queue the apology for a refused reply")
        self.wake()

    async def _finish(self, message: OutboxMessage, outcome: DeliveryOutcome) -> None:
        self.outcomes[outcome.value] += 1
        try:
            await self.store.finish_outbox(message.id, outcome, _now())
        except StorageError:
            log.exception("could not record a delivered message; it may be sent again after a restart")
        if outcome is DeliveryOutcome.BLOCKED:
            await self._on_blocked(message.outgoing.user_id)

    async def _progress(self, message: OutboxMessage, parts_done: int) -> None:
        try:
            await self.store.record_progress(message.id, parts_done)
        except StorageError:
            log.exception("could not record delivery progress; a part may be sent again after a restart")

    async def _drop_all(self, chat: _Chat) -> None:
        """Finishes the rest of a blocked chat's queue without sending it."""
        while chat.queue:
            message = chat.queue.popleft()
            self._held.discard(message.id)
            self.outcomes[DeliveryOutcome.BLOCKED.value] += 1
            try:
                await self.store.finish_outbox(message.id, DeliveryOutcome.BLOCKED, _now())
            except StorageError:
                log.exception("could not record a message to a blocked chat")


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _now() -> datetime:
    return datetime.now(UTC)
