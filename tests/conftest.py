"""Shared fixtures: the real configuration and knowledge, and a `chat` that drives the real engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.config import Config, load_config
from bot.core.types import Reply, Turn

if TYPE_CHECKING:
    # Imported lazily below so that a package still being built does not break unrelated tests.
    from bot.core.content import Content
    from bot.core.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
# A fixed date keeps "the current academic year" stable: 2026/27, recruiting for September 2027.
TODAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

_CONTENT: dict[str, Any] = {}


@pytest.fixture(scope="session")
def config() -> Config:
    """The project's own config.yaml, with no secrets from the environment."""
    return load_config(ROOT / "config.yaml", environ={})


@pytest.fixture(scope="session")
def content(config: Config) -> Content:
    """The real knowledge folder, loaded and indexed once per test run."""
    from bot.core.content import load_content

    if "real" not in _CONTENT:
        _CONTENT["real"] = load_content(config)
    return _CONTENT["real"]


@dataclass
class Chat:
    """One person talking to the real engine; remembers the last buttons shown."""

    engine: Engine
    user_id: str = "tester"
    channel: str = "test"
    last: list[Reply] = field(default_factory=list)

    async def say(self, text: str) -> list[Reply]:
        """Sends typed text and returns the replies."""
        # The terminal shows buttons numbered, so there a typed number picks one, as it does for people.
        numbered = self.channel == "terminal"
        turn = Turn(channel=self.channel, user_id=self.user_id, text=text, numbered=numbered)
        self.last = await self.engine.handle(turn)
        return self.last

    async def press(self, label_part: str) -> list[Reply]:
        """Presses the first button of the last replies whose label contains label_part."""
        for reply in reversed(self.last):
            for button in reply.buttons:
                if label_part.casefold() in button.label.casefold():
                    return await self.tap(button.payload)
        shown = [b.label for r in self.last for b in r.buttons]
        raise AssertionError(f"no button like {label_part!r} in {shown}")

    async def tap(self, payload: str) -> list[Reply]:
        """Sends a raw button payload (which may be forged) and returns the replies."""
        turn = Turn(channel=self.channel, user_id=self.user_id, payload=payload)
        self.last = await self.engine.handle(turn)
        return self.last


@pytest.fixture
async def store() -> AsyncIterator[Any]:
    """An empty in-memory store."""
    from bot.storage.memory import MemoryStore

    memory = MemoryStore()
    await memory.open()
    yield memory
    await memory.close()


@pytest.fixture
def engine(config: Config, content: Content, store: Any) -> Engine:
    """The real engine with every journey, on the real knowledge and a fixed clock."""
    from bot.app import build_journeys
    from bot.core.clock import FixedClock
    from bot.core.content import ContentHolder
    from bot.core.engine import Engine

    return Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY))


@pytest.fixture
def chat(engine: Engine) -> Chat:
    """A person talking to the engine."""
    return Chat(engine)


# The throwaway PostgreSQL cluster, for any test that asks for it.
from tests.storage.pg import pg_cluster, pg_url  # noqa: E402, F401
