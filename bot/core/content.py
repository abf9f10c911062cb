"""The knowledge in use, with its matcher and gazetteer, swapped whole on reload."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config
from bot.errors import KnowledgeError
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import Knowledge
from bot.matching.matcher import Matcher
from bot.shortlist.facts import FactFinder
from bot.shortlist.geo import Gazetteer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Content:
    """One consistent snapshot: knowledge, the matcher built on it, the place list and the fact finder."""

    knowledge: Knowledge
    matcher: Matcher
    gazetteer: Gazetteer
    facts: FactFinder


def load_content(config: Config, gazetteer: Gazetteer | None = None) -> Content:
    """Loads and indexes the knowledge folder; raises KnowledgeError listing every problem."""
    knowledge = load_knowledge(config.knowledge_dir)
    places = gazetteer or Gazetteer.load(config.knowledge_dir / "geo")
    matcher = Matcher(knowledge, config.matching)
    return Content(
        knowledge=knowledge, matcher=matcher, gazetteer=places, facts=FactFinder(knowledge, places)
    )


class ContentHolder:
    """Holds the content being served; a failed reload leaves the last good content in place."""

    def __init__(self, config: Config, content: Content) -> None:
        self._config = config
        self._content = content
        self._lock = asyncio.Lock()

    @property
    def current(self) -> Content:
        """The content to use for the next turn."""
        return self._content

    @property
    def folder(self) -> Path:
        """The knowledge folder being served."""
        return self._config.knowledge_dir

    async def reload(self) -> str:
        """Reloads the knowledge folder; raises KnowledgeError (and keeps serving) when it is broken."""
        async with self._lock:
            try:
                fresh = await asyncio.to_thread(load_content, self._config, self._content.gazetteer)
            except KnowledgeError as exc:
                log.warning("reload rejected: %s", exc)
                raise
            self._content = fresh
            log.info("knowledge reloaded: version %s", fresh.knowledge.version)
            return fresh.knowledge.version
