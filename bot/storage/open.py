"""The one place a store is built from the configured database: an SQLite file or a PostgreSQL URL."""

from __future__ import annotations

from pathlib import Path

from bot.config import Database, PostgresDatabase
from bot.storage.base import Store

__all__ = ["exists", "open_store"]


def open_store(database: Database, *, serving: bool = False) -> Store:
    """Returns an unopened store for the database; serving is for the process that holds conversations.

    Only SQLite keeps recent sessions in memory while serving: that process is its file's one writer. On
    PostgreSQL other workers may write any session, so every turn reads it from the database.
    """
    if isinstance(database, PostgresDatabase):
        # Imported here so that a bot on SQLite never loads the PostgreSQL driver.
        from bot.storage.postgres import PostgresStore

        return PostgresStore(database.url, password=database.password, pool_size=database.pool_size)
    from bot.storage.sqlite import SqliteStore

    return SqliteStore(Path(database), remember_sessions=serving)


def exists(database: Database) -> bool:
    """Tells whether there is a database to work on: the file exists, or it is a server (checked on open)."""
    return isinstance(database, PostgresDatabase) or Path(database).is_file()
