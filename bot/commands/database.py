"""What staff commands share: the configuration, the knowledge and an existing database to work on."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config, load_config
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import Knowledge
from bot.knowledge.values import message
from bot.storage.sqlite import SqliteStore


@dataclass(frozen=True, slots=True)
class StaffSetting:
    """The configuration, knowledge and store a staff command runs with."""

    config: Config
    knowledge: Knowledge
    store: SqliteStore


def open_existing(args: argparse.Namespace) -> StaffSetting | None:
    """Loads config and knowledge and finds the database; says so and returns None when it does not exist."""
    config = load_config(args.config)
    knowledge = load_knowledge(config.knowledge_dir)
    database: Path = args.db or config.database
    if not database.is_file():
        print(message(knowledge, "admin.no_database", path=database))
        return None
    return StaffSetting(config, knowledge, SqliteStore(database))
