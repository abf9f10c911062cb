"""The SQLite schema, as an ordered list of migration scripts, and the code that applies them."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime

import aiosqlite

from bot.errors import StorageError
from bot.storage.codec import time_text

__all__ = ["MIGRATIONS", "migrate", "schema_version", "statements"]

# Version N of the schema is reached by running MIGRATIONS[:N] in order. Append new scripts;
# never edit one that has shipped, because databases in use have already run it.
MIGRATIONS: list[str] = [
    # 1: conversations, the turn log and feedback
    """
    CREATE TABLE sessions (
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        journey TEXT,
        step TEXT,
        data TEXT NOT NULL DEFAULT '{}',
        campaign TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (channel, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX sessions_by_created ON sessions (created_at);
    CREATE INDEX sessions_by_updated ON sessions (updated_at);

    CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        at TEXT NOT NULL,
        text TEXT NOT NULL,
        payload TEXT,
        status TEXT NOT NULL,
        entry TEXT,
        topic TEXT,
        score REAL,
        journey TEXT,
        campaign TEXT
    );
    CREATE INDEX turns_by_time ON turns (at);
    CREATE INDEX turns_by_person ON turns (channel, user_id);

    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        entry TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX feedback_by_time ON feedback (at);
    CREATE INDEX feedback_by_person ON feedback (channel, user_id);
    """,
    # 2: referrals and the digest ledger
    """
    CREATE TABLE referrals (
        id TEXT PRIMARY KEY NOT NULL,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        name TEXT NOT NULL,
        email TEXT,
        phone TEXT,
        telegram_handle TEXT,
        preferences TEXT NOT NULL DEFAULT '{}',
        campaign TEXT,
        consent_version TEXT NOT NULL,
        consented_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'withdrawn', 'sent')),
        digest_id TEXT,
        sent_at TEXT,
        extra TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX referrals_by_status_provider ON referrals (status, provider_id, consented_at);
    CREATE INDEX referrals_by_person ON referrals (channel, user_id);
    CREATE INDEX referrals_by_consent ON referrals (consented_at);

    CREATE TABLE digests (
        digest_id TEXT PRIMARY KEY,
        provider_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at TEXT
    );
    CREATE INDEX digests_by_provider ON digests (provider_id, finished_at);

    CREATE TABLE digest_referrals (
        digest_id TEXT NOT NULL REFERENCES digests (digest_id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        referral_id TEXT NOT NULL,
        PRIMARY KEY (digest_id, position)
    ) WITHOUT ROWID;
    CREATE INDEX digest_referrals_by_referral ON digest_referrals (referral_id);
    """,
    # 3: the inbox of accepted update ids and the outbox of replies, written with each turn
    """
    CREATE TABLE inbox (
        channel TEXT NOT NULL,
        update_id TEXT NOT NULL,
        accepted_at TEXT NOT NULL,
        PRIMARY KEY (channel, update_id)
    ) WITHOUT ROWID;
    CREATE INDEX inbox_by_time ON inbox (accepted_at);

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        address TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        parts_done INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'sent', 'expired', 'refused', 'blocked', 'unknown')),
        worker TEXT,
        claimed_until TEXT,
        finished_at TEXT
    );
    CREATE INDEX outbox_pending ON outbox (channel, address, id) WHERE state = 'pending';
    CREATE INDEX outbox_by_person ON outbox (channel, user_id);
    CREATE INDEX outbox_by_finished ON outbox (finished_at) WHERE finished_at IS NOT NULL;
    """,
    # 4: session rows that could not be read, kept for inspection until the purge or an erasure
    """
    CREATE TABLE set_aside_sessions (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        journey,
        step,
        data,
        campaign,
        active,
        created_at,
        updated_at,
        reason TEXT NOT NULL,
        set_aside_at TEXT NOT NULL
    );
    CREATE INDEX set_aside_by_person ON set_aside_sessions (channel, user_id);
    CREATE INDEX set_aside_by_time ON set_aside_sessions (set_aside_at);
    """,
]

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
)
"""


def statements(script: str) -> list[str]:
    """Returns the separate SQL statements of a script (semicolons inside literals are kept)."""
    pieces = script.split(";")
    if pieces.pop().strip():
        raise ValueError("a migration script must end with a semicolon")
    found: list[str] = []
    pending = ""
    for piece in pieces:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError("a migration script ends part-way through a statement")
    return found


async def schema_version(conn: aiosqlite.Connection) -> int:
    """Returns the schema version recorded in the database (0 for a new file)."""
    rows = list(await conn.execute_fetchall("SELECT COALESCE(MAX(version), 0) FROM schema_version"))
    return int(rows[0][0])


async def migrate(conn: aiosqlite.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Brings the schema up to date in one transaction and returns the version reached.

    The connection must be in autocommit mode (isolation_level=None) so that
    the transaction here is the only one.
    """
    await conn.execute("BEGIN IMMEDIATE")
    try:
        await conn.execute(_VERSION_TABLE)
        current = await schema_version(conn)
        _refuse_newer(current, len(migrations))
        applied_at = time_text(datetime.now(UTC))
        for version in range(current + 1, len(migrations) + 1):
            for statement in statements(migrations[version - 1]):
                await conn.execute(statement)
            await conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version, applied_at))
        await conn.execute("COMMIT")
    except BaseException:
        with suppress(sqlite3.Error, ValueError):
            await conn.execute("ROLLBACK")
        raise
    return len(migrations)


def _refuse_newer(current: int, known: int) -> None:
    if current > known:
        raise StorageError(
            f"The database has schema version {current}, newer than this program knows "
            f"(version {known}); upgrade the program before opening it"
        )
