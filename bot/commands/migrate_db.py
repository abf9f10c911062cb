"""`careers-bot migrate-db`: copies an SQLite database into PostgreSQL and prints each table's rows."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.config import PostgresDatabase, load_config
from bot.errors import ConfigError
from bot.knowledge.loader import load_knowledge
from bot.knowledge.values import message
from bot.storage.transfer import copy_sqlite_to_postgres


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the migrate-db subcommand."""
    parser = subparsers.add_parser(
        "migrate-db",
        help="copy an SQLite database into PostgreSQL",
        description=(
            "Copies every table of an SQLite database into an empty PostgreSQL database in one transaction, "
            "checks each table's row count, and prints them. Stop the bot first, so that nothing is written "
            "meanwhile. The password comes from CAREERS_BOT_DB_PASSWORD."
        ),
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        metavar="PATH",
        help="SQLite file (default: config.yaml)",
    )
    parser.add_argument("--to", dest="target", required=True, metavar="URL", help="postgresql:// URL")
    parser.add_argument(
        "--force", action="store_true", help="empty the PostgreSQL database first if it already holds data"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Copies the database, prints each table's counts and the total; returns 0 when all was copied."""
    config = load_config(args.config)
    knowledge = load_knowledge(config.knowledge_dir)
    source = args.source if args.source is not None else config.database
    if not isinstance(source, Path) or str(source).startswith("postgres"):
        raise ConfigError("--from must name an SQLite database file")
    if not source.is_file():
        raise ConfigError(f"--from {source}: there is no SQLite database there")
    target = config.database_at(args.target)
    if not isinstance(target, PostgresDatabase):
        raise ConfigError(f"--to must be a postgresql:// URL (found {args.target!r})")
    counts = asyncio.run(
        copy_sqlite_to_postgres(source, target.url, password=target.password, force=args.force)
    )
    for count in counts:
        print(
            message(
                knowledge, "admin.migrate_table", table=count.table, source=count.source, copied=count.copied
            )
        )
    total = sum(count.copied for count in counts)
    print(message(knowledge, "admin.migrate_done", total=total, source=source, target=target))
    return 0
