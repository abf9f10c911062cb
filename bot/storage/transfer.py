"""Copying an SQLite database into PostgreSQL, table by table, with the row counts checked before commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import psycopg

from bot.errors import StorageError
from bot.storage.postgres import PostgresStore, redacted
from bot.storage.sqlite import SqliteStore

__all__ = ["TABLES", "TableCount", "copy_sqlite_to_postgres"]

# Every table either schema holds, parents before the tables that refer to them, with the columns copied.
# A column named "id" of an integer table is copied as it is, so the turn log and the outbox keep their order.
TABLES: tuple[tuple[str, str], ...] = (
    ("sessions", "channel, user_id, journey, step, data, campaign, active, created_at, updated_at"),
    ("turns", "id, channel, user_id, at, text, payload, status, entry, topic, score, journey, campaign"),
    ("feedback", "id, channel, user_id, entry, helpful, at"),
    (
        "referrals",
        "id, channel, user_id, provider_id, name, email, phone, telegram_handle, preferences, campaign, "
        "consent_version, consented_at, status, digest_id, sent_at, extra",
    ),
    ("digests", "digest_id, provider_id, started_at, finished_at, attempts, last_error, next_attempt_at"),
    ("digest_referrals", "digest_id, position, referral_id"),
    ("inbox", "channel, update_id, accepted_at"),
    (
        "outbox",
        "id, channel, user_id, address, body, created_at, parts_done, state, worker, claimed_until, "
        "finished_at",
    ),
    (
        "set_aside_sessions",
        "id, channel, user_id, journey, step, data, campaign, active, created_at, updated_at, reason, "
        "set_aside_at",
    ),
)
# Tables whose PostgreSQL rows are numbered by an identity column, which must go on after the copied numbers.
_NUMBERED = {"turns": "id", "feedback": "id", "outbox": "id", "set_aside_sessions": "id"}
# The order rows are copied in: referrals consented at the same instant are told apart by rowid in SQLite
# and by their number in PostgreSQL, given in copy order. Tables without a rowid go by their key.
_ORDER = {
    "sessions": "channel, user_id",
    "digest_referrals": "digest_id, position",
    "inbox": "channel, update_id",
}


@dataclass(frozen=True, slots=True)
class TableCount:
    """One table's rows in the source and in the copy."""

    table: str
    source: int
    copied: int


async def copy_sqlite_to_postgres(
    source: Path, target: str, *, password: str | None = None, force: bool = False
) -> Sequence[TableCount]:
    """Copies every table from the SQLite file into the PostgreSQL database in one transaction.

    The source is first brought up to the current schema (as opening it in the bot would). A target that
    already holds data is refused unless force, which empties it first. Nothing is kept unless every table's
    rows were all copied.
    """
    sqlite = SqliteStore(source)
    await sqlite.open()
    await sqlite.close()
    postgres = PostgresStore(target, password=password, pool_size=1)
    await postgres.open()  # creates the tables, or checks they are current
    await postgres.close()
    where = redacted(target)
    try:
        async with (
            aiosqlite.connect(f"file:{source}?mode=ro", uri=True) as reader,
            await psycopg.AsyncConnection.connect(postgres.conninfo) as writer,
            writer.transaction(),
        ):
            await _make_room(writer, where, force)
            counts = [await _copy(reader, writer, table, columns) for table, columns in TABLES]
            short = [c for c in counts if c.copied != c.source]
            if short:
                names = ", ".join(f"{c.table} ({c.copied} of {c.source})" for c in short)
                raise StorageError(f"Not every row was copied, so nothing was kept: {names}")
    except aiosqlite.Error as exc:
        raise StorageError(f"Could not read {source}: {exc}") from exc
    except psycopg.Error as exc:
        message = " ".join(str(exc).split())
        raise StorageError(f"Could not copy into the PostgreSQL database {where}: {message}") from exc
    return counts


async def _make_room(writer: psycopg.AsyncConnection[Any], where: str, force: bool) -> None:
    held = []
    for table, _ in TABLES:
        cursor = await writer.execute(f"SELECT EXISTS (SELECT 1 FROM {table})".encode())
        found = await cursor.fetchone()
        if found is not None and found[0]:
            held.append(table)
    if held and not force:
        raise StorageError(
            f"The PostgreSQL database {where} already holds data (in {', '.join(held)}); nothing was copied. "
            "Give --force to empty it and copy again"
        )
    if held:
        names = ", ".join(table for table, _ in TABLES)
        await writer.execute(f"TRUNCATE {names} RESTART IDENTITY".encode())


async def _copy(
    reader: aiosqlite.Connection, writer: psycopg.AsyncConnection[Any], table: str, columns: str
) -> TableCount:
    order = _ORDER.get(table, _NUMBERED.get(table, "rowid"))
    rows = list(await reader.execute_fetchall(f"SELECT {columns} FROM {table} ORDER BY {order}"))
    cursor = writer.cursor()
    async with cursor.copy(f"COPY {table} ({columns}) FROM STDIN".encode()) as copy:
        for row in rows:
            await copy.write_row([_text(v) for v in row])
    numbered = _NUMBERED.get(table)
    if numbered is not None:
        # COPY writes the identity column as given; new rows must be numbered after the copied ones.
        await writer.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{numbered}'), "
            f"COALESCE(MAX({numbered}), 0) + 1, false) FROM {table}".encode()
        )
    counted = await (await writer.execute(f"SELECT COUNT(*) FROM {table}".encode())).fetchone()
    return TableCount(table, len(rows), int(counted[0]) if counted is not None else 0)


def _text(value: Any) -> Any:
    """SQLite lets a set-aside row hold bytes where PostgreSQL keeps text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
