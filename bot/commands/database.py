"""What staff commands share: the configuration, the knowledge and an existing database to work on."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from bot.config import Config, load_config
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import Knowledge
from bot.knowledge.values import message
from bot.storage.base import Store
from bot.storage.open import exists, open_store


@dataclass(frozen=True, slots=True)
class StaffSetting:
    """The configuration, knowledge and store a staff command runs with."""

    config: Config
    knowledge: Knowledge
    store: Store


def open_existing(args: argparse.Namespace) -> StaffSetting | None:
    """Loads config and knowledge and finds the database; says so and returns None when it does not exist."""
    config = load_config(args.config)
    knowledge = load_knowledge(config.knowledge_dir)
    database = config.database_at(args.db)
    if not exists(database):
        print(message(knowledge, "admin.no_database", path=database))
        return None
    return StaffSetting(config, knowledge, open_store(database))
