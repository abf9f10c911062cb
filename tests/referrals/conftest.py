"""Fixtures for the digest tests: a loopback SMTP server, a SQLite store, test providers and referrals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.config import Config
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import DigestSettings, Knowledge
from bot.referrals.model import Referral
from bot.storage.sqlite import SqliteStore
from tests.ports import free_port

from .mailbox import Mailbox

# Monday 23 November 2026, 10:00 in London (GMT, so also 10:00 UTC).
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

NORTH = "north-scitt"
SOUTH = "south-university"
CHAT = "chat-partnership"


def digest_settings(**fields: Any) -> DigestSettings:
    """Daily 09:00 full digests to one address, unless told otherwise."""
    base = DigestSettings(("north@provider.test",), None, "daily", None, "09:00", "full")
    return replace(base, **fields)


@pytest.fixture(scope="session")
def real_knowledge(config: Config) -> Knowledge:
    """The project's own knowledge folder, loaded once."""
    return load_knowledge(config.knowledge_dir)


@pytest.fixture
def knowledge(real_knowledge: Knowledge) -> Knowledge:
    """The real knowledge with three test providers: two by email, one by Telegram only."""
    template = next(iter(real_knowledge.providers.values()))
    providers = {
        NORTH: replace(template, id=NORTH, name="North SCITT", digest=digest_settings()),
        SOUTH: replace(
            template,
            id=SOUTH,
            name="South University",
            digest=digest_settings(
                emails=("south@provider.test", "admissions@provider.test"),
                frequency="weekly",
                weekday="monday",
                format="summary",
            ),
        ),
        CHAT: replace(
            template,
            id=CHAT,
            name="Chat Partnership",
            digest=digest_settings(emails=(), telegram_chat_id=-100),
        ),
    }
    return replace(real_knowledge, providers=providers)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 that records every message it accepts."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    try:
        yield box
    finally:
        controller.stop()


def smtp_config(config: Config, port: int) -> Config:
    """The project config with digests sent to a loopback server on this port."""
    smtp = replace(config.digest.smtp, host="127.0.0.1", port=port, timeout_seconds=5.0)
    return replace(config, digest=replace(config.digest, smtp=smtp))


@pytest.fixture
def mail_config(config: Config, mailbox: Mailbox) -> Config:
    """The project config pointed at the loopback mailbox."""
    return smtp_config(config, mailbox.port)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """A real SQLite store in a file of its own."""
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    yield store
    await store.close()


def referral(number: int, provider_id: str = NORTH, **fields: Any) -> Referral:
    """A pending referral from person <number>, consented at 09:<number> on the day of NOW."""
    base = Referral(
        id=f"ref-{number}",
        channel="telegram",
        user_id=f"user-{number}",
        provider_id=provider_id,
        name=f"Person {number} Example",
        email=f"person{number}@people.test",
        phone="07700 900123",
        telegram_handle=f"person{number}",
        preferences={
            "subjects": ["physics"],
            "phase": "secondary",
            "degree": "upper_second",
            "needs_salary": True,
        },
        campaign="autumn-posters",
        consent_version="2026-11-1",
        consented_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC).replace(minute=number % 60),
    )
    return replace(base, **fields)
