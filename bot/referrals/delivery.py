"""Where digests go: SMTP email, .eml files for a dry run, and Telegram chats through a sender protocol."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from bot.config import DigestConfig, SmtpConfig
from bot.errors import DeliveryError
from bot.knowledge.entries import PLACEHOLDER_DOMAIN
from bot.knowledge.model import Provider
from bot.referrals.digest import Digest
from bot.storage.base import Store

__all__ = [
    "ChatSender",
    "DigestSink",
    "EmlSink",
    "SmtpSink",
    "TelegramDigestSink",
    "UnavailableSender",
    "email_message",
    "remove_previews",
    "split_text",
]

log = logging.getLogger(__name__)

# Telegram refuses messages longer than 4096 characters; stay a little under.
TELEGRAM_TEXT_LIMIT = 4000
PREVIEW_HEADER = "X-Careers-Bot-Referrals"


class DigestSink(Protocol):
    """A place digests are delivered to."""

    def accepts(self, provider: Provider) -> bool:
        """Tells whether this sink can deliver to the provider (it has an address of this kind)."""
        ...

    async def deliver(self, provider: Provider, digest: Digest) -> None:
        """Delivers the digest; raises DeliveryError when the provider may not have it."""
        ...


class ChatSender(Protocol):
    """Sends messages and files to a chat (a Telegram chat, in practice)."""

    async def send_text(self, chat_id: int, text: str) -> None:
        """Sends a text message; raises DeliveryError on failure."""
        ...

    async def send_document(self, chat_id: int, filename: str, content: bytes) -> None:
        """Sends a file; raises DeliveryError on failure."""
        ...


def real_addresses(provider: Provider) -> tuple[str, ...]:
    """Returns the provider's digest addresses less the .example placeholders, which must never be mailed."""
    return tuple(a for a in provider.digest.emails if not a.casefold().endswith(PLACEHOLDER_DOMAIN))


def email_message(
    provider: Provider, digest: Digest, from_address: str, to: Sequence[str] | None = None
) -> EmailMessage:
    """Returns the digest as an email (to every digest address unless told): text, HTML and the CSV."""
    message = EmailMessage(policy=SMTP)
    message["From"] = from_address
    message["To"] = ", ".join(provider.digest.emails if to is None else to)
    message["Subject"] = digest.subject
    message["Date"] = format_datetime(digest.created_at)
    message["Message-ID"] = digest.message_id
    message.set_content(digest.text)
    message.add_alternative(digest.html, subtype="html")
    message.add_attachment(
        digest.csv, maintype="text", subtype="csv", filename=digest.csv_name, params={"charset": "utf-8"}
    )
    return message


class SmtpSink:
    """Sends digests by email through the configured SMTP server."""

    def __init__(self, config: DigestConfig) -> None:
        self._config = config

    def accepts(self, provider: Provider) -> bool:
        """Tells whether the provider has a digest email address that is not a placeholder."""
        return bool(real_addresses(provider))

    async def deliver(self, provider: Provider, digest: Digest) -> None:
        """Sends the digest to every real digest address of the provider."""
        message = email_message(provider, digest, self._config.from_address, real_addresses(provider))
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        smtp = self._config.smtp
        try:
            with _connect(smtp) as client:
                refused = client.send_message(message)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"the mail server said {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({f"{code} {_text(text)}" for code, text in exc.recipients.values()})
            raise DeliveryError(f"the mail server refused every address: {'; '.join(codes)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"could not talk to the mail server {smtp.host}:{smtp.port}: {exc}") from exc
        if refused:
            # The others have it; sending again would double it for them. Staff see this in the log.
            log.warning("digest %s: the mail server refused %s", message["Message-ID"], sorted(refused))


def _connect(smtp: SmtpConfig) -> smtplib.SMTP:
    if smtp.security == "tls":
        context = ssl.create_default_context()
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=context
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    try:
        if smtp.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


class EmlSink:
    """Writes each digest to a folder as an .eml file instead of sending it (a dry run)."""

    def __init__(self, folder: Path, from_address: str) -> None:
        self.folder = folder
        self._from = from_address

    def accepts(self, provider: Provider) -> bool:
        """Accepts every provider: a dry run shows what each would receive."""
        return True

    async def deliver(self, provider: Provider, digest: Digest) -> None:
        """Writes the digest as <provider>-<digest id>.eml, replacing an earlier file of the same digest."""
        message = email_message(provider, digest, self._from)
        # Lets the purge find previews that hold someone who has since been erased (remove_previews).
        message[PREVIEW_HEADER] = " ".join(digest.referral_ids)
        data = message.as_bytes()
        path = self.folder / f"{provider.id}-{digest.digest_id}.eml"
        try:
            await asyncio.to_thread(_write, path, data)
        except OSError as exc:
            raise DeliveryError(f"could not write {path}: {exc}") from exc


async def remove_previews(folder: Path, store: Store, cutoff: datetime) -> int:
    """Deletes dry-run .eml files older than cutoff or naming a referral no longer stored; returns how many.

    A preview holds people's details as they were: once they are erased or purged, it must go too.
    """
    previews = await asyncio.to_thread(_previews, folder)
    named = {i for ids in previews.values() if ids is not None for i in ids}
    stored = {r.id for r in await store.referrals_by_id(named)}
    stale = [
        path
        for path, ids in previews.items()
        if ids is None or not set(ids) <= stored or _modified(path) < cutoff
    ]
    for path in stale:
        with suppress(FileNotFoundError):
            await asyncio.to_thread(path.unlink)
    return len(stale)


def _previews(folder: Path) -> dict[Path, tuple[str, ...] | None]:
    """Maps each .eml file to the referral ids its header names (None when it names none)."""
    found: dict[Path, tuple[str, ...] | None] = {}
    for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
        with path.open("rb") as file:
            value = BytesHeaderParser().parse(file).get(PREVIEW_HEADER)
        found[path] = None if value is None else tuple(str(value).split())
    return found


def _modified(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        return datetime.max.replace(tzinfo=UTC)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


class TelegramDigestSink:
    """Sends digests to a provider's Telegram chat: the text, then the CSV as a file."""

    def __init__(self, sender: ChatSender) -> None:
        self._sender = sender

    def accepts(self, provider: Provider) -> bool:
        """Tells whether the provider has a Telegram chat for digests."""
        return provider.digest.telegram_chat_id is not None

    async def deliver(self, provider: Provider, digest: Digest) -> None:
        """Sends the digest's text in as many messages as it needs, then its CSV file."""
        chat_id = provider.digest.telegram_chat_id
        if chat_id is None:
            raise DeliveryError(f"provider {provider.id!r} has no Telegram chat for digests")
        for part in split_text(digest.text, TELEGRAM_TEXT_LIMIT):
            await self._sender.send_text(chat_id, part)
        await self._sender.send_document(chat_id, digest.csv_name, digest.csv)


def split_text(text: str, limit: int) -> list[str]:
    """Returns the text cut into pieces of at most limit characters, at paragraph or line ends if possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest:
        pieces.append(rest)
    return pieces


class UnavailableSender:
    """A chat sender for when Telegram is not set up: every send fails, so the digest waits."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    async def send_text(self, chat_id: int, text: str) -> None:
        """Fails with the reason Telegram cannot be used."""
        raise DeliveryError(self._reason)

    async def send_document(self, chat_id: int, filename: str, content: bytes) -> None:
        """Fails with the reason Telegram cannot be used."""
        raise DeliveryError(self._reason)
