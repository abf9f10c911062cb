"""Sending digest messages and files to Telegram chats through python-telegram-bot's Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Bot
from telegram.error import TelegramError

from bot.errors import DeliveryError
from bot.referrals.delivery import ChatSender, UnavailableSender

__all__ = ["TelegramChatSender", "open_telegram_sender"]


class TelegramChatSender:
    """A ChatSender over an initialised telegram.Bot; Telegram errors become DeliveryError."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_text(self, chat_id: int, text: str) -> None:
        """Sends a plain-text message to the chat."""
        try:
            await self._bot.send_message(chat_id=chat_id, text=text)
        except TelegramError as exc:
            raise DeliveryError(f"Telegram refused the message to chat {chat_id}: {exc}") from exc

    async def send_document(self, chat_id: int, filename: str, content: bytes) -> None:
        """Sends a file to the chat under the given name."""
        try:
            await self._bot.send_document(chat_id=chat_id, document=content, filename=filename)
        except TelegramError as exc:
            raise DeliveryError(f"Telegram refused the file for chat {chat_id}: {exc}") from exc


@asynccontextmanager
async def open_telegram_sender(token: str, base_url: str | None = None) -> AsyncIterator[ChatSender]:
    """Yields a sender on a Bot for this token (and Bot API server, if given); shuts the Bot down after.

    When Telegram cannot be reached the sender fails every send, so email digests still go and
    Telegram digests wait for the next run.
    """
    bot = Bot(token, base_url=base_url) if base_url else Bot(token)
    try:
        await bot.initialize()
        sender: ChatSender = TelegramChatSender(bot)
    except TelegramError as exc:
        sender = UnavailableSender(f"could not reach Telegram: {exc}")
    try:
        yield sender
    finally:
        await bot.shutdown()
