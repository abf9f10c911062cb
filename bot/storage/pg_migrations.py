"""The PostgreSQL schema, as migrations numbered like the SQLite ones, and the code that applies them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import psycopg

from bot.errors import StorageError
from bot.storage.codec import time_text

__all__ = ["MIGRATION_LOCK", "PG_MIGRATIONS", "migrate"]

# Version N here makes the same tables as version N of the SQLite schema, so that a database can be copied
# from one to the other table by table. Append new scripts; never edit one that has shipped.
#
# Times are the same fixed-width ISO text the SQLite store writes, and every text column sorts and compares
# byte by byte (COLLATE "C") as SQLite's do, so both stores order rows alike whatever the server's locale.
PG_MIGRATIONS: list[str] = [
    # 1: conversations, the turn log and feedback
    """
    CREATE TABLE sessions (
        channel TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        journey TEXT COLLATE "C",
        step TEXT COLLATE "C",
        data TEXT NOT NULL DEFAULT '{}',
        campaign TEXT COLLATE "C",
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (channel, user_id)
    );
    CREATE INDEX sessions_by_created ON sessions (created_at);
    CREATE INDEX sessions_by_updated ON sessions (updated_at);

    CREATE TABLE turns (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        at TEXT COLLATE "C" NOT NULL,
        text TEXT NOT NULL,
        payload TEXT,
        status TEXT COLLATE "C" NOT NULL,
        entry TEXT COLLATE "C",
        topic TEXT COLLATE "C",
        score DOUBLE PRECISION,
        journey TEXT COLLATE "C",
        campaign TEXT COLLATE "C"
    );
    CREATE INDEX turns_by_time ON turns (at);
    CREATE INDEX turns_by_person ON turns (channel, user_id);

    CREATE TABLE feedback (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        entry TEXT COLLATE "C" NOT NULL,
        helpful INTEGER NOT NULL,
        at TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX feedback_by_time ON feedback (at);
    CREATE INDEX feedback_by_person ON feedback (channel, user_id);
    """,
    # 2: referrals and the digest ledger; seq orders referrals consented at the same instant, as rowid does
    """
    CREATE TABLE referrals (
        id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
        channel TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        provider_id TEXT COLLATE "C" NOT NULL,
        name TEXT NOT NULL,
        email TEXT,
        phone TEXT,
        telegram_handle TEXT,
        preferences TEXT NOT NULL DEFAULT '{}',
        campaign TEXT COLLATE "C",
        consent_version TEXT COLLATE "C" NOT NULL,
        consented_at TEXT COLLATE "C" NOT NULL,
        status TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'withdrawn', 'sent')),
        digest_id TEXT COLLATE "C",
        sent_at TEXT COLLATE "C",
        extra TEXT NOT NULL DEFAULT '{}',
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
    );
    CREATE INDEX referrals_by_status_provider ON referrals (status, provider_id, consented_at);
    CREATE INDEX referrals_by_person ON referrals (channel, user_id);
    CREATE INDEX referrals_by_consent ON referrals (consented_at);

    CREATE TABLE digests (
        digest_id TEXT COLLATE "C" PRIMARY KEY,
        provider_id TEXT COLLATE "C" NOT NULL,
        started_at TEXT COLLATE "C" NOT NULL,
        finished_at TEXT COLLATE "C",
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at TEXT COLLATE "C"
    );
    CREATE INDEX digests_by_provider ON digests (provider_id, finished_at);

    CREATE TABLE digest_referrals (
        digest_id TEXT COLLATE "C" NOT NULL REFERENCES digests (digest_id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        referral_id TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (digest_id, position)
    );
    CREATE INDEX digest_referrals_by_referral ON digest_referrals (referral_id);
    """,
    # 3: the inbox of accepted update ids and the outbox of replies, written with each turn
    """
    CREATE TABLE inbox (
        channel TEXT COLLATE "C" NOT NULL,
        update_id TEXT COLLATE "C" NOT NULL,
        accepted_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (channel, update_id)
    );
    CREATE INDEX inbox_by_time ON inbox (accepted_at);

    CREATE TABLE outbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        address TEXT COLLATE "C" NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        parts_done INTEGER NOT NULL DEFAULT 0,
        state TEXT COLLATE "C" NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'sent', 'expired', 'refused', 'blocked', 'unknown')),
        worker TEXT COLLATE "C",
        claimed_until TEXT COLLATE "C",
        finished_at TEXT COLLATE "C"
    );
    CREATE INDEX outbox_pending ON outbox (channel, address, id) WHERE state = 'pending';
    CREATE INDEX outbox_by_person ON outbox (channel, user_id);
    CREATE INDEX outbox_by_finished ON outbox (finished_at) WHERE finished_at IS NOT NULL;
    """,
    # 4: session rows that could not be read, kept for inspection until the purge or an erasure
    """
    CREATE TABLE set_aside_sessions (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        journey TEXT,
        step TEXT,
        data TEXT,
        campaign TEXT,
        active INTEGER,
        created_at TEXT,
        updated_at TEXT,
        reason TEXT NOT NULL,
        set_aside_at TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX set_aside_by_person ON set_aside_sessions (channel, user_id);
    CREATE INDEX set_aside_by_time ON set_aside_sessions (set_aside_at);
    """,
]

# The advisory lock key that workers starting together queue on, so that one of them migrates and the
# others then find the schema current ('careers-bot schema' as a 64-bit number).
MIGRATION_LOCK = 0x63617265_65727362

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
)
"""


async def migrate(conn: psycopg.AsyncConnection[tuple[object, ...]], migrations: Sequence[str]) -> int:
    """Brings the schema up to date in one transaction, holding the migration lock; returns the version."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(_VERSION_TABLE)
        cursor = await conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        found = await cursor.fetchone()
        current = int(found[0]) if found is not None else 0  # type: ignore[call-overload]
        if current > len(migrations):
            raise StorageError(
                f"The database has schema version {current}, newer than this program knows "
                f"(version {len(migrations)}); upgrade the program before opening it"
            )
        applied_at = time_text(datetime.now(UTC))
        for version in range(current + 1, len(migrations) + 1):
            await conn.execute(migrations[version - 1].encode())
            await conn.execute("INSERT INTO schema_version VALUES (%s, %s)", (version, applied_at))
    return len(migrations)
