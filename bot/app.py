"""The composition root: builds the store, the content and the engine with its journeys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Config, Database
from bot.core.clock import Clock, SystemClock
from bot.core.content import ContentHolder, load_content
from bot.core.engine import Engine
from bot.core.journey import Journey
from bot.storage.base import Store
from bot.storage.open import open_store
from handlers.admin import AdminJourney
from handlers.ask import AskJourney
from handlers.preferences import PreferencesJourney
from handlers.privacy import PrivacyJourney
from handlers.refer import ReferJourney
from handlers.shortlist import ShortlistJourney
from handlers.start import StartJourney


def build_journeys() -> list[Journey]:
    """Returns every user journey the bot runs."""
    return [
        StartJourney(),
        AskJourney(),
        PreferencesJourney(),
        ShortlistJourney(),
        ReferJourney(),
        PrivacyJourney(),
        AdminJourney(),
    ]


@dataclass(frozen=True, slots=True)
class App:
    """A running bot: its configuration, content, store and engine."""

    config: Config
    content: ContentHolder
    store: Store
    engine: Engine


def conversation_store(database: Database) -> Store:
    """Returns the store as the process serving conversations opens it."""
    return open_store(database, serving=True)


@asynccontextmanager
async def open_app(
    config: Config, database: Database | None = None, store: Store | None = None, clock: Clock | None = None
) -> AsyncIterator[App]:
    """Loads the knowledge, opens the store and yields a ready App; closes the store on exit."""
    content = ContentHolder(config, load_content(config))
    store = store or conversation_store(database or config.database)
    await store.open()
    try:
        engine = Engine(config, content, store, build_journeys(), clock or SystemClock())
        yield App(config=config, content=content, store=store, engine=engine)
    finally:
        await store.close()
