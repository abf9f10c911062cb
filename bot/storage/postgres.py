"""The PostgreSQL store: a pool of psycopg connections, and one database every worker may share."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from bot.core.session import Session
from bot.errors import AlreadyAccepted, AlreadyClaimed, StorageError
from bot.referrals.model import Referral
from bot.storage.base import (
    DeliveryOutcome,
    DigestRecord,
    ErasureReport,
    FeedbackRecord,
    OutboxMessage,
    Outgoing,
    TurnRecord,
)
from bot.storage.codec import optional_time_from_text, plain, time_text
from bot.storage.pg_migrations import PG_MIGRATIONS, migrate
from bot.storage.rows import (
    Row,
    UnreadableRow,
    as_text,
    digest_from_row,
    digest_row,
    feedback_from_row,
    outbox_message,
    outgoing_row,
    readable_sessions,
    referral_from_row,
    referral_row,
    session_from_row,
    session_row,
    turn_from_row,
    turn_row,
)

__all__ = ["DEFAULT_POOL_SIZE", "PostgresStore", "lock_key", "redacted"]

log = logging.getLogger(__name__)

Connection = psycopg.AsyncConnection[TupleRow]

DEFAULT_POOL_SIZE = 10

_SESSION = "channel, user_id, journey, step, data, campaign, active, created_at, updated_at"
_TURN = "channel, user_id, at, text, payload, status, entry, topic, score, journey, campaign"
_FEEDBACK = "channel, user_id, entry, helpful, at"
_REFERRAL = (
    "id, channel, user_id, provider_id, name, email, phone, telegram_handle, preferences, campaign, "
    "consent_version, consented_at, status, digest_id, sent_at, extra"
)
_DIGEST = "digest_id, provider_id, started_at, finished_at, attempts, last_error, next_attempt_at"
_IN_FLIGHT = (
    "SELECT dr.referral_id FROM digest_referrals AS dr JOIN digests AS d ON d.digest_id = dr.digest_id "
    "WHERE d.finished_at IS NULL"
)
_UPSERT_SESSION = (
    f"INSERT INTO sessions ({_SESSION}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (channel, user_id) DO UPDATE SET journey = excluded.journey, "
    "step = excluded.step, data = excluded.data, campaign = excluded.campaign, "
    "active = excluded.active, created_at = excluded.created_at, updated_at = excluded.updated_at"
)
_INSERT_TURN = f"INSERT INTO turns ({_TURN}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
_ACCEPT = (
    "INSERT INTO inbox (channel, update_id, accepted_at) VALUES (%s, %s, %s) "
    "ON CONFLICT (channel, update_id) DO NOTHING"
)
_QUEUE = "INSERT INTO outbox (channel, user_id, address, body, created_at) VALUES (%s, %s, %s, %s, %s)"
_OUTBOX = "id, channel, user_id, address, body, created_at, parts_done"
# As in the SQLite store: pending messages nobody holds, skipping every address another worker holds a live
# claim on. Claims on one channel take turns under an advisory lock, so two workers never both find an
# address free; SKIP LOCKED passes over rows another transaction is finishing or erasing meanwhile.
_CLAIMABLE = (
    "SELECT id FROM outbox WHERE channel = %(channel)s AND state = 'pending' "
    "AND (worker IS NULL OR (worker <> %(worker)s AND claimed_until <= %(now)s)) "
    "AND address NOT IN (SELECT address FROM outbox WHERE channel = %(channel)s AND state = 'pending' "
    "AND worker IS NOT NULL AND worker <> %(worker)s AND claimed_until > %(now)s) "
    "ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED"
)
_PENDING = f"SELECT {_REFERRAL} FROM referrals WHERE status = 'pending' AND id NOT IN ({_IN_FLIGHT})"
_MINE = "WHERE channel = %s AND user_id = %s"
_READ_ONLY = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"
_HOLD_TIMEOUT_MS = 60_000  # how long a turn waits for another worker to finish the same person's turn


class PostgresStore:
    """Keeps everything in one PostgreSQL database that several workers may share.

    Each operation borrows a connection from a pool and runs as one transaction, committed before the call
    returns, so tasks of one worker run side by side and workers see each other's writes at once. Nothing
    is kept in memory between calls: another worker may have changed any row since. The schema is
    migrated on open under an advisory lock, so workers starting together do it once.
    """

    def __init__(
        self,
        url: str,
        *,
        password: str | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        connect_timeout: float = 10.0,
        migrations: Sequence[str] = PG_MIGRATIONS,
    ) -> None:
        self._url = url
        self._where = redacted(url)
        extra: dict[str, Any] = {"connect_timeout": max(1, round(connect_timeout))}
        if password is not None:
            extra["password"] = password
        self._conninfo = make_conninfo(url, **extra)
        self._pool_size = max(1, pool_size)
        self._timeout = connect_timeout
        self._migrations = tuple(migrations)
        self._pool: AsyncConnectionPool[Connection] | None = None
        # Connections that hold people's turns, apart from the pool the work itself uses: a turn waiting for
        # a connection to save on must never wait behind turns that each hold one while they wait for it.
        self._holds: AsyncConnectionPool[Connection] | None = None
        self._opening = asyncio.Lock()

    def __repr__(self) -> str:
        return f"PostgresStore({self._where!r})"

    @property
    def conninfo(self) -> str:
        """The connection string, password included, for tools of this package; never log or show it."""
        return self._conninfo

    async def open(self) -> None:
        """Connects, brings the schema up to date and opens the pool; one clear error if it cannot."""
        async with self._opening:
            if self._pool is not None:
                return
            with self._translated("connect to"):
                conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
                async with conn:
                    await migrate(conn, self._migrations)
                pool, holds = self._new_pool("careers-bot"), self._new_pool("careers-bot-turns")
                try:
                    await pool.open(wait=True, timeout=self._timeout)
                    await holds.open(wait=True, timeout=self._timeout)
                except BaseException:
                    await pool.close()
                    await holds.close()
                    raise
            self._pool, self._holds = pool, holds

    def _new_pool(self, name: str) -> AsyncConnectionPool[Connection]:
        return AsyncConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=self._pool_size,
            kwargs={"autocommit": True},
            timeout=self._timeout,
            open=False,
            name=name,
        )

    async def close(self) -> None:
        """Closes the pools' connections; the store can be opened again."""
        async with self._opening:
            pools = (self._pool, self._holds)
            self._pool = self._holds = None
            for pool in pools:
                if pool is not None:
                    await pool.close()

    @asynccontextmanager
    async def person(self, channel: str, user_id: str) -> AsyncIterator[None]:
        """Holds one person's turn against every worker on this database until the block ends.

        A transaction-scoped advisory lock on a connection of its own: it is let go when the block ends,
        and by the server if this worker dies or its connection drops, so a crash never leaves anyone held.
        """
        holds = self._holds
        if holds is None:
            raise StorageError("The store is not open; call open() first")
        key = lock_key("person", channel, user_id)
        async with AsyncExitStack() as stack:
            stack.push_async_exit(_forgiving_release)  # outermost: it sees what letting go raised
            with self._translated("hold a person's turn in"):
                conn = await stack.enter_async_context(holds.connection())
                await stack.enter_async_context(conn.transaction())
                # Another worker stuck on this person gives an error, not a turn that waits for ever.
                await conn.execute(f"SET LOCAL lock_timeout = {_HOLD_TIMEOUT_MS}")
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
            yield

    async def get_session(self, channel: str, user_id: str) -> Session | None:
        """Returns the saved session, or None for someone new."""
        key = (channel, user_id)
        rows = await self._fetch("read the session", f"SELECT {_SESSION} FROM sessions {_MINE}", key)
        if not rows:
            return None
        try:
            return session_from_row(rows[0])
        except UnreadableRow as exc:
            await self._set_aside(key, str(exc))
            return None

    async def _set_aside(self, key: tuple[str, str], reason: str) -> None:
        """Moves an unreadable session row to set_aside_sessions, so the person can start afresh."""
        copy = (
            f"INSERT INTO set_aside_sessions ({_SESSION}, reason, set_aside_at) "
            f"SELECT {_SESSION}, %s, %s FROM sessions {_MINE}"
        )
        async with self._transaction("set aside an unreadable session") as conn:
            await conn.execute(copy, (reason, time_text(datetime.now(UTC)), *key))
            await conn.execute(f"DELETE FROM sessions {_MINE}", key)
        log.warning("a stored session could not be read (%s); set aside in set_aside_sessions", reason)

    async def save_session(self, session: Session) -> None:
        """Saves the session, replacing any earlier one for the same person."""
        await self._write("save the session", _UPSERT_SESSION, session_row(session))

    async def log_turn(self, record: TurnRecord) -> None:
        """Appends one turn to the turn log."""
        await self._write("log the turn", _INSERT_TURN, turn_row(record))

    async def save_turn(
        self,
        session: Session,
        record: TurnRecord,
        *,
        update_id: str | None = None,
        outbox: Sequence[Outgoing] = (),
    ) -> None:
        """Saves the session, logs the turn, accepts the update id and queues the replies: all, or none."""
        rows = [outgoing_row(o) for o in outbox]
        accepted = None if update_id is None else (session.channel, update_id, time_text(record.at))
        async with self._transaction("save the turn") as conn:
            if accepted is not None and (await conn.execute(_ACCEPT, accepted)).rowcount != 1:
                raise AlreadyAccepted("This update was accepted before")
            await conn.execute(_UPSERT_SESSION, session_row(session))
            await conn.execute(_INSERT_TURN, turn_row(record))
            await _queue(conn, rows)

    async def accept_update(
        self, channel: str, update_id: str, at: datetime, outbox: Sequence[Outgoing] = ()
    ) -> bool:
        """Accepts an update that needs no turn, with its replies; False if it was accepted before."""
        rows = [outgoing_row(o) for o in outbox]
        async with self._transaction("accept the update") as conn:
            if (await conn.execute(_ACCEPT, (channel, update_id, time_text(at)))).rowcount == 0:
                return False
            await _queue(conn, rows)
        return True

    async def is_accepted(self, channel: str, update_id: str) -> bool:
        """Tells whether this update id was accepted on this channel."""
        sql = "SELECT 1 FROM inbox WHERE channel = %s AND update_id = %s"
        return bool(await self._fetch("read the inbox", sql, (channel, update_id)))

    async def enqueue(self, outbox: Sequence[Outgoing]) -> None:
        """Queues replies that answer no update."""
        rows = [outgoing_row(o) for o in outbox]
        async with self._transaction("queue the replies") as conn:
            await _queue(conn, rows)

    async def claim_outbox(
        self, channel: str, worker: str, now: datetime, lease: timedelta, limit: int = 500
    ) -> Sequence[OutboxMessage]:
        """Claims pending messages nobody holds, oldest first, and extends this worker's other claims."""
        until = time_text(now + lease)
        names = {"channel": channel, "worker": worker, "now": time_text(now), "limit": limit, "until": until}
        async with self._transaction("claim outbox messages") as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("outbox", channel),))
            await conn.execute(
                "UPDATE outbox SET claimed_until = %(until)s "
                "WHERE channel = %(channel)s AND state = 'pending' AND worker = %(worker)s",
                names,
            )
            cursor = await conn.execute(
                "UPDATE outbox SET worker = %(worker)s, claimed_until = %(until)s "
                f"WHERE id IN ({_CLAIMABLE}) RETURNING {_OUTBOX}",
                names,
            )
            rows = await cursor.fetchall()
        return sorted((outbox_message(row) for row in rows), key=lambda m: m.id)

    async def release_outbox(self, channel: str, worker: str) -> None:
        """Lets go of this worker's claims, so its pending messages are claimed again."""
        sql = "UPDATE outbox SET worker = NULL, claimed_until = NULL WHERE channel = %s AND worker = %s"
        await self._write("release outbox claims", sql, (channel, worker))

    async def record_progress(self, message_id: int, parts_done: int) -> None:
        """Records how many parts of a pending message the channel has delivered."""
        sql = "UPDATE outbox SET parts_done = %s WHERE id = %s AND state = 'pending'"
        await self._write("record delivery progress", sql, (parts_done, message_id))

    async def finish_outbox(self, message_id: int, outcome: DeliveryOutcome, at: datetime) -> None:
        """Takes a message out of the queue with its outcome; its text is not kept afterwards."""
        sql = (
            "UPDATE outbox SET state = %s, finished_at = %s, body = '{}', worker = NULL, "
            "claimed_until = NULL WHERE id = %s AND state = 'pending'"
        )
        params = (DeliveryOutcome(outcome).value, time_text(at), message_id)
        await self._write("finish the outbox message", sql, params)

    async def outbox_counts(self, channel: str) -> Mapping[str, int]:
        """Counts the channel's outbox messages by state: pending, or a DeliveryOutcome value."""
        sql = "SELECT state, COUNT(*) FROM outbox WHERE channel = %s GROUP BY state"
        return {str(row[0]): int(row[1]) for row in await self._fetch("count the outbox", sql, (channel,))}

    async def turns_between(self, start: datetime, end: datetime) -> Sequence[TurnRecord]:
        """Returns logged turns with start <= at < end, oldest first."""
        sql = f"SELECT {_TURN} FROM turns WHERE at >= %s AND at < %s ORDER BY at, id"
        rows = await self._fetch("read the turn log", sql, (time_text(start), time_text(end)))
        return [turn_from_row(row) for row in rows]

    async def add_referral(self, referral: Referral) -> None:
        """Stores a new pending referral; an id already stored is refused."""
        placeholders = ", ".join(["%s"] * 16)
        sql = f"INSERT INTO referrals ({_REFERRAL}) VALUES ({placeholders})"
        await self._write("store the referral", sql, referral_row(referral))

    async def referrals_for(self, channel: str, user_id: str) -> Sequence[Referral]:
        """Returns every referral a person made, newest first."""
        sql = f"SELECT {_REFERRAL} FROM referrals {_MINE} ORDER BY consented_at DESC, seq DESC"
        rows = await self._fetch("read the referrals", sql, (channel, user_id))
        return [referral_from_row(row) for row in rows]

    async def withdraw_referral(self, referral_id: str, channel: str, user_id: str) -> bool:
        """Withdraws a pending referral of this person; False if none could be withdrawn."""
        sql = (
            "UPDATE referrals SET status = 'withdrawn' "
            "WHERE id = %s AND channel = %s AND user_id = %s AND status = 'pending'"
        )
        return await self._write("withdraw the referral", sql, (referral_id, channel, user_id)) == 1

    async def pending_referrals(self, provider_id: str | None = None) -> Sequence[Referral]:
        """Returns pending referrals not yet in an unfinished digest, oldest first."""
        order = " ORDER BY consented_at, seq"
        if provider_id is None:
            rows = await self._fetch("read pending referrals", _PENDING + order, ())
        else:
            sql = _PENDING + " AND provider_id = %s" + order
            rows = await self._fetch("read pending referrals", sql, (provider_id,))
        return [referral_from_row(row) for row in rows]

    async def referrals_between(self, start: datetime, end: datetime) -> Sequence[Referral]:
        """Returns referrals consented within [start, end), any status, oldest first."""
        sql = (
            f"SELECT {_REFERRAL} FROM referrals WHERE consented_at >= %s AND consented_at < %s "
            "ORDER BY consented_at, seq"
        )
        rows = await self._fetch("read referrals", sql, (time_text(start), time_text(end)))
        return [referral_from_row(row) for row in rows]

    async def referrals_by_id(self, referral_ids: Iterable[str]) -> Sequence[Referral]:
        """Returns the stored referrals with these ids, in the order asked; unknown ids are skipped."""
        wanted = list(referral_ids)
        sql = f"SELECT {_REFERRAL} FROM referrals WHERE id = ANY(%s::text[])"
        rows = await self._fetch("read referrals", sql, (wanted,))
        found = {row[0]: referral_from_row(row) for row in rows}
        return [found[i] for i in wanted if i in found]

    async def start_digest(self, record: DigestRecord) -> None:
        """Records that a digest of these referrals is about to be sent.

        Its referrals are locked first, so a second run starting the same people waits, then finds them
        taken: the ledger sends each person once however many workers run digests.
        """
        ids = list(record.referral_ids)
        links = [(record.digest_id, n, i) for n, i in enumerate(ids)]
        async with self._transaction("record the digest") as conn:
            await conn.execute(
                "SELECT id FROM referrals WHERE id = ANY(%s::text[]) ORDER BY id FOR UPDATE", (ids,)
            )
            cursor = await conn.execute(
                "SELECT COUNT(*) FROM referrals WHERE id = ANY(%s::text[]) AND (status <> 'pending' "
                f"OR id IN ({_IN_FLIGHT}))",
                (ids,),
            )
            taken = await cursor.fetchone()
            if taken is not None and taken[0]:
                raise AlreadyClaimed(
                    "Some of these referrals are already in another digest or no longer pending"
                )
            values = ", ".join(["%s"] * 7)
            await conn.execute(f"INSERT INTO digests ({_DIGEST}) VALUES ({values})", digest_row(record))
            async with conn.cursor() as many:
                await many.executemany("INSERT INTO digest_referrals VALUES (%s, %s, %s)", links)

    async def finish_digest(self, digest_id: str, at: datetime) -> None:
        """Marks a digest delivered and its still-pending referrals sent; finishing twice changes nothing."""
        async with self._transaction("finish the digest") as conn:
            cursor = await conn.execute(
                "SELECT finished_at FROM digests WHERE digest_id = %s FOR UPDATE", (digest_id,)
            )
            found = await cursor.fetchone()
            if found is None:
                raise StorageError(f"There is no digest with id {digest_id!r}")
            if found[0] is not None:
                return
            when = time_text(at)
            await conn.execute("UPDATE digests SET finished_at = %s WHERE digest_id = %s", (when, digest_id))
            await conn.execute(
                "UPDATE referrals SET status = 'sent', digest_id = %s, sent_at = %s WHERE status = 'pending' "
                "AND id IN (SELECT referral_id FROM digest_referrals WHERE digest_id = %s)",
                (digest_id, when, digest_id),
            )

    async def fail_digest(self, digest_id: str, error: str, next_attempt_at: datetime) -> None:
        """Records a failed attempt; the digest stays unfinished and is retried later."""
        sql = (
            "UPDATE digests SET attempts = attempts + 1, last_error = %s, next_attempt_at = %s "
            "WHERE digest_id = %s AND finished_at IS NULL"
        )
        params = (error, time_text(next_attempt_at), digest_id)
        if await self._write("record the failed digest", sql, params) == 0:
            raise StorageError(f"There is no unfinished digest with id {digest_id!r}")

    async def unfinished_digests(self, provider_id: str | None = None) -> Sequence[DigestRecord]:
        """Returns digests started but not finished, oldest first (to re-send with the same id)."""
        where = "finished_at IS NULL" + ("" if provider_id is None else " AND provider_id = %s")
        params = () if provider_id is None else (provider_id,)
        # One statement, so a digest finishing meanwhile is seen either whole or not at all.
        sql = (
            f"SELECT {_DIGEST}, ARRAY(SELECT referral_id FROM digest_referrals AS l "
            "WHERE l.digest_id = d.digest_id ORDER BY position) "
            f"FROM digests AS d WHERE {where} ORDER BY started_at, digest_id"
        )
        rows = await self._fetch("read unfinished digests", sql, params)
        return [digest_from_row(row[:-1], row[-1]) for row in rows]

    async def last_digest_at(self, provider_id: str) -> datetime | None:
        """Returns when the provider's last digest was delivered."""
        sql = "SELECT MAX(finished_at) FROM digests WHERE provider_id = %s AND finished_at IS NOT NULL"
        rows = await self._fetch("read the digest ledger", sql, (provider_id,))
        return optional_time_from_text(rows[0][0])

    async def add_feedback(self, record: FeedbackRecord) -> None:
        """Stores a thumbs up or down."""
        sql = f"INSERT INTO feedback ({_FEEDBACK}) VALUES (%s, %s, %s, %s, %s)"
        row = (record.channel, record.user_id, record.entry, int(record.helpful), time_text(record.at))
        await self._write("store the feedback", sql, row)

    async def feedback_between(self, start: datetime, end: datetime) -> Sequence[FeedbackRecord]:
        """Returns feedback given within [start, end), oldest first."""
        sql = f"SELECT {_FEEDBACK} FROM feedback WHERE at >= %s AND at < %s ORDER BY at, id"
        rows = await self._fetch("read feedback", sql, (time_text(start), time_text(end)))
        return [feedback_from_row(row) for row in rows]

    async def sessions_between(self, start: datetime, end: datetime) -> Sequence[Session]:
        """Returns sessions created within [start, end), oldest first."""
        sql = (
            f"SELECT {_SESSION} FROM sessions WHERE created_at >= %s AND created_at < %s "
            "ORDER BY created_at, channel, user_id"
        )
        rows = await self._fetch("read sessions", sql, (time_text(start), time_text(end)))
        return list(readable_sessions(rows))

    async def export_person(self, channel: str, user_id: str) -> dict[str, Any]:
        """Returns everything held about a person, as JSON-serialisable data."""
        person = (channel, user_id)
        queries = (
            f"SELECT {_SESSION} FROM sessions {_MINE}",
            f"SELECT {_TURN} FROM turns {_MINE} ORDER BY at, id",
            f"SELECT {_REFERRAL} FROM referrals {_MINE} ORDER BY consented_at, seq",
            f"SELECT {_FEEDBACK} FROM feedback {_MINE} ORDER BY at, id",
            f"SELECT {_SESSION}, reason, set_aside_at FROM set_aside_sessions {_MINE} ORDER BY id",
        )
        async with self._transaction("export the person's data") as conn:
            await conn.execute(_READ_ONLY)  # one snapshot for every table
            found = [await (await conn.execute(sql, person)).fetchall() for sql in queries]
        sessions, turns, referrals, feedback, set_aside = found
        session = [plain(s) for s in readable_sessions(sessions)]
        held: dict[str, Any] = {
            "session": session[0] if session else None,
            "turns": [plain(turn_from_row(row)) for row in turns],
            "referrals": [plain(referral_from_row(row)) for row in referrals],
            "feedback": [plain(feedback_from_row(row)) for row in feedback],
        }
        if set_aside:
            names = [*_SESSION.split(", "), "reason", "set_aside_at"]
            held["set_aside_sessions"] = [
                {n: as_text(v) for n, v in zip(names, row, strict=True)} for row in set_aside
            ]
        return held

    async def erase_person(self, channel: str, user_id: str) -> ErasureReport:
        """Deletes every row about a person, pending referrals included."""
        person = (channel, user_id)
        sent = f"SELECT DISTINCT provider_id FROM referrals {_MINE} AND status = 'sent' ORDER BY provider_id"
        links = f"DELETE FROM digest_referrals WHERE referral_id IN (SELECT id FROM referrals {_MINE})"
        async with self._transaction("erase the person's data") as conn:
            # Locked first, so that a digest starting meanwhile waits and then finds them gone.
            await conn.execute(f"SELECT id FROM referrals {_MINE} ORDER BY id FOR UPDATE", person)
            sent_to = await (await conn.execute(sent, person)).fetchall()
            await conn.execute(links, person)
            counts = [
                (await conn.execute(f"DELETE FROM {table} {_MINE}", person)).rowcount
                for table in ("turns", "referrals", "feedback", "sessions", "set_aside_sessions")
            ]
            await conn.execute(f"DELETE FROM outbox {_MINE}", person)
        turns, referrals, feedback, sessions, set_aside = counts
        return ErasureReport(
            turns, referrals, feedback, sessions + set_aside, tuple(row[0] for row in sent_to)
        )

    async def purge_before(self, cutoff: datetime) -> int:
        """Removes personal data older than cutoff; turns keep only anonymous fields. Returns rows changed."""
        when = (time_text(cutoff),)
        going = f"consented_at < %s AND NOT (status = 'pending' AND id IN ({_IN_FLIGHT}))"
        steps = (
            "DELETE FROM sessions WHERE updated_at < %s",
            f"DELETE FROM referrals WHERE {going}",
            "UPDATE turns SET text = '', user_id = '', payload = NULL "
            "WHERE at < %s AND (text <> '' OR user_id <> '' OR payload IS NOT NULL)",
            "UPDATE feedback SET user_id = '' WHERE at < %s AND user_id <> ''",
            "DELETE FROM set_aside_sessions WHERE set_aside_at < %s",
        )
        changed = 0
        async with self._transaction("purge old data") as conn:
            # The ledger forgets which digests held the referrals that go (not a change counted).
            await conn.execute(
                f"DELETE FROM digest_referrals WHERE referral_id IN (SELECT id FROM referrals WHERE {going})",
                when,
            )
            for sql in steps:
                changed += (await conn.execute(sql, when)).rowcount
            # Accepted update ids and finished replies (which keep no text) are not personal data.
            await conn.execute("DELETE FROM inbox WHERE accepted_at < %s", when)
            await conn.execute("DELETE FROM outbox WHERE finished_at < %s", when)
        return changed

    def _opened(self) -> AsyncConnectionPool[Connection]:
        if self._pool is None:
            raise StorageError("The store is not open; call open() first")
        return self._pool

    @asynccontextmanager
    async def _transaction(self, action: str) -> AsyncIterator[Connection]:
        """Lends a pooled connection inside one transaction, committed when the block ends."""
        pool = self._opened()
        with self._translated(action):
            async with pool.connection() as conn, conn.transaction():
                yield conn

    async def _fetch(self, action: str, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> list[Row]:
        pool = self._opened()
        with self._translated(action):
            async with pool.connection() as conn:
                cursor = await conn.execute(sql.encode(), params)
                return list(await cursor.fetchall())

    async def _write(self, action: str, sql: str, params: Sequence[Any]) -> int:
        pool = self._opened()
        with self._translated(action):
            async with pool.connection() as conn:
                return (await conn.execute(sql.encode(), params)).rowcount

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """Turns any driver error into a StorageError that says what was being done, on one line."""
        try:
            yield
        except psycopg.Error as exc:
            raise StorageError(
                f"Could not {action} the PostgreSQL database {self._where}: {_one_line(exc)}"
            ) from exc


async def _queue(conn: Connection, rows: Sequence[Row]) -> None:
    if rows:
        async with conn.cursor() as cursor:
            await cursor.executemany(_QUEUE, rows)


async def _forgiving_release(
    kind: type[BaseException] | None, error: BaseException | None, trace: object
) -> bool:
    """Lets a saved turn stand when only letting go of its hold failed (the server lets go anyway)."""
    if isinstance(error, psycopg.Error):
        log.warning("could not let go of a person's turn cleanly: %s", _one_line(error))
        return True
    return False


def lock_key(*parts: str) -> int:
    """Returns a signed 64-bit advisory lock key for the parts, the same in every worker and on every run."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def redacted(url: str) -> str:
    """Returns the URL with any password and query options left out, safe for logs and error messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{parts.username}@" if parts.username else "") + host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _one_line(exc: BaseException) -> str:
    """The driver's message with its lines joined, so an operator reads one line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return re.sub(r"\s+", " ", "; ".join(lines)) or type(exc).__name__
