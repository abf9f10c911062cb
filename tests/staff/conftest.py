"""Fixtures for the staff tools: an engine with the admin journey, and a copy of the knowledge to edit."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import build_journeys
from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder, load_content
from bot.core.engine import Engine
from bot.core.journey import Journey
from bot.storage.memory import MemoryStore
from handlers.admin import AdminJourney
from tests.conftest import ROOT, TODAY, Chat

BURSARIES = "values/bursaries.yaml"
CURRENT_PHYSICS = "  physics:\n    bursary: 29000"


def staff_journeys() -> list[Journey]:
    """Every journey the bot runs, with the admin journey whether or not the app lists it yet."""
    return [j for j in build_journeys() if j.name != "admin"] + [AdminJourney()]


def edit_physics_bursary(folder: Path, new: str) -> int:
    """Replaces the current year's physics bursary line in a knowledge copy; returns its line number."""
    path = folder / BURSARIES
    head, marker, current = path.read_text(encoding="utf-8").partition("\n2026-27:")
    assert marker and CURRENT_PHYSICS in current, "the current year's physics bursary has moved"
    current = current.replace(CURRENT_PHYSICS, f"  physics:\n    bursary: {new}", 1)
    path.write_text(head + marker + current, encoding="utf-8")
    return (head + marker).count("\n") + current.split(f"bursary: {new}")[0].count("\n") + 1


@pytest.fixture
def engine(config: Config, content: Content, store: MemoryStore) -> Engine:
    """The real engine on the real knowledge, with the admin journey."""
    return Engine(config, ContentHolder(config, content), store, staff_journeys(), FixedClock(TODAY))


@pytest.fixture
def staff(chat: Chat) -> Chat:
    """A member of staff in the terminal chat (config.yaml lists "staff" as a terminal admin)."""
    chat.channel, chat.user_id = "terminal", "staff"
    return chat


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A copy of the real knowledge folder that a test may edit."""
    return Path(shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge"))


@pytest.fixture
def copy_config(config: Config, knowledge_copy: Path) -> Config:
    """The real configuration, serving the knowledge copy."""
    return replace(config, knowledge_dir=knowledge_copy)


@pytest.fixture
def holder(copy_config: Config) -> ContentHolder:
    """The knowledge copy, loaded and ready to be reloaded."""
    return ContentHolder(copy_config, load_content(copy_config))


@pytest.fixture
def copy_engine(copy_config: Config, holder: ContentHolder, store: MemoryStore) -> Engine:
    """The real engine serving the knowledge copy."""
    return Engine(copy_config, holder, store, staff_journeys(), FixedClock(TODAY))
