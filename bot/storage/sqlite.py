"""The SQLite store: one aiosqlite connection to a WAL-mode file whose schema is kept current on open."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import aiosqlite

from bot.core.session import Session
from bot.errors import AlreadyAccepted, AlreadyClaimed, StorageError, Unclosable
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
from bot.storage.batching import GroupWriter
from bot.storage.codec import json_text, optional_time_from_text, plain, time_text
from bot.storage.migrations import MIGRATIONS, migrate
from bot.storage.recent import RecentRows
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

__all__ = ["SqliteStore", "UnreadableRow"]

log = logging.getLogger(__name__)


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
    f"INSERT INTO sessions ({_SESSION}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (channel, user_id) DO UPDATE SET journey = excluded.journey, "
    "step = excluded.step, data = excluded.data, campaign = excluded.campaign, "
    "active = excluded.active, created_at = excluded.created_at, updated_at = excluded.updated_at"
)
_INSERT_TURN = f"INSERT INTO turns ({_TURN}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_ACCEPT = "INSERT OR IGNORE INTO inbox (channel, update_id, accepted_at) VALUES (?, ?, ?)"
_QUEUE = "INSERT INTO outbox (channel, user_id, address, body, created_at) VALUES (?, ?, ?, ?, ?)"
_OUTBOX = "id, channel, user_id, address, body, created_at, parts_done"
# Pending messages nobody holds, skipping every address another worker holds a live claim on, so that
# one worker serves an address at a time and its order holds. PostgreSQL does the same with
# SELECT ... FOR UPDATE SKIP LOCKED over the addresses.
_CLAIMABLE = (
    "SELECT id FROM outbox WHERE channel = :channel AND state = 'pending' "
    "AND (worker IS NULL OR (worker != :worker AND claimed_until <= :now)) "
    "AND address NOT IN (SELECT address FROM outbox WHERE channel = :channel AND state = 'pending' "
    "AND worker IS NOT NULL AND worker != :worker AND claimed_until > :now) ORDER BY id LIMIT :limit"
)
# With remember_sessions, sessions of people who wrote lately are kept in memory as their stored rows, so
# the next turn of a conversation skips a trip to the database thread. Only the process serving
# conversations asks for it: it is then the only writer of its people's sessions, except `careers-bot
# purge`, which removes sessions idle for at least a day (retention_days), and a row idle longer than
# RECENT_IDLE_SECONDS is read from the file again, so the two never disagree.
RECENT_SESSIONS = 20_000
RECENT_IDLE_SECONDS = 600.0
_PENDING = f"SELECT {_REFERRAL} FROM referrals WHERE status = 'pending' AND id NOT IN ({_IN_FLIGHT})"


class SqliteStore:
    """Keeps everything in one SQLite file; every write is committed before the call returns.

    One connection is shared by all tasks. Statements run in autocommit mode, so a
    single-statement write is its own transaction; a lock keeps each operation whole,
    so one task's statements never land inside another task's transaction. Turns of
    different people saved at the same moment share a commit (see GroupWriter), and
    remember_sessions keeps recent sessions in memory for the process serving them.
    """

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout: float = 5.0,
        migrations: Sequence[str] = MIGRATIONS,
        remember_sessions: bool = False,
    ) -> None:
        self._path = Path(path)
        self._busy_timeout_ms = max(0, round(busy_timeout * 1000))
        self._migrations = tuple(migrations)
        self._conn: aiosqlite.Connection | None = None
        self._file: tuple[int, int] | None = None  # device and inode of the file opened
        self._lock = asyncio.Lock()
        self._recent: RecentRows[tuple[str, str], Row] = RecentRows(
            RECENT_SESSIONS if remember_sessions else 0, RECENT_IDLE_SECONDS
        )
        self._turns: GroupWriter[_TurnRows] = GroupWriter(self._save_turns, _not_the_database)

    async def open(self) -> None:
        """Opens the file (creating it and its folder if needed) and brings the schema up to date."""
        async with self._lock:
            if self._conn is None:
                self._conn = await self._connect()

    async def _connect(self) -> aiosqlite.Connection:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create the folder for the database {self._path}: {exc}") from exc
        _refuse_unwritable(self._path)
        with _translated(f"open {self._path}"):
            conn = await aiosqlite.connect(self._path, isolation_level=None)
        try:
            with _translated(f"prepare {self._path}"):
                await self._configure(conn)
                await migrate(conn, self._migrations)
                _refuse_unwritable(self._path)  # the -wal and -shm files exist from here on
            self._file = _identity(self._path)
        except BaseException:
            with suppress(sqlite3.Error, ValueError, StorageError):
                _refuse_unwritable(self._path)  # closing touches the files: never with one that faults
                await conn.close()
            raise
        return conn

    async def close(self) -> None:
        """Closes the connection once every turn handed in is written; the store can be opened again.

        Raises Unclosable, leaving the connection open, when the files can no longer be written: SQLite
        would touch them on closing, and a -shm file made immutable kills the process (SIGBUS) then.
        """
        await self._turns.wait_idle()
        self._recent.clear()
        async with self._lock:
            if self._conn is not None:
                try:
                    _refuse_unwritable(self._path)
                except StorageError as exc:
                    raise Unclosable(
                        f"{exc}; the database was left open, and what was saved is kept"
                    ) from None
            conn, self._conn = self._conn, None
            if conn is not None:
                with _translated("close the database"):
                    await conn.close()

    def person(self, channel: str, user_id: str) -> AbstractAsyncContextManager[None]:
        """Holds nothing: one process writes this store, and the engine orders each person's turns."""
        return nullcontext()

    async def get_session(self, channel: str, user_id: str) -> Session | None:
        """Returns the saved session, or None for someone new."""
        key = (channel, user_id)
        row = self._recent.get(key)
        if row is not None:
            return session_from_row(row)
        changes = self._recent.changes
        sql = f"SELECT {_SESSION} FROM sessions WHERE channel = ? AND user_id = ?"
        rows = await self._fetch("read the session", sql, key)
        if not rows:
            return None
        row = tuple(rows[0])
        try:
            session = session_from_row(row)
        except UnreadableRow as exc:
            await self._set_aside(key, str(exc))
            return None
        self._recent.remember(key, row, read_at_change=changes)
        return session

    async def _set_aside(self, key: tuple[str, str], reason: str) -> None:
        """Moves an unreadable session row to set_aside_sessions, so the person can start afresh."""
        copy = (
            f"INSERT INTO set_aside_sessions ({_SESSION}, reason, set_aside_at) "
            f"SELECT {_SESSION}, ?, ? FROM sessions WHERE channel = ? AND user_id = ?"
        )
        async with self._transaction("set aside an unreadable session") as conn:
            await conn.execute(copy, (reason, time_text(datetime.now(UTC)), *key))
            await conn.execute("DELETE FROM sessions WHERE channel = ? AND user_id = ?", key)
        self._recent.forget(key)
        # No ids or contents here: the row itself is kept for whoever inspects it.
        log.warning("a stored session could not be read (%s); set aside in set_aside_sessions", reason)

    async def save_session(self, session: Session) -> None:
        """Saves the session, replacing any earlier one for the same person."""
        key, row = (session.channel, session.user_id), session_row(session)
        try:
            await self._write("save the session", _UPSERT_SESSION, row)
        except BaseException:
            self._recent.forget(key)
            raise
        self._recent.remember(key, row)

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
        """Saves the session, logs the turn, accepts the update id and queues the replies: all, or none.

        Turns of different people that arrive while another is being written share the next transaction.
        """
        accepted = None if update_id is None else (session.channel, update_id, time_text(record.at))
        rows = _TurnRows(session_row(session), turn_row(record), accepted, [outgoing_row(o) for o in outbox])
        await self._turns.save(rows)

    async def _save_turns(self, batch: Sequence[_TurnRows]) -> None:
        """Writes sessions, turns, update ids and replies of the batch in one transaction."""
        sessions, turns = [b.session for b in batch], [b.turn for b in batch]
        accepted = [b.accepted for b in batch if b.accepted is not None]
        queued = [row for b in batch for row in b.outbox]

        keys = [(row[0], row[1]) for row in sessions]
        try:
            async with self._transaction("save the turn") as conn:
                await conn.executemany(_UPSERT_SESSION, sessions)
                await conn.executemany(_INSERT_TURN, turns)
                before = conn.total_changes
                await conn.executemany(_ACCEPT, accepted)
                if conn.total_changes - before != len(accepted):
                    # Alone in its batch, the turn whose update was accepted before raises this to its caller.
                    raise AlreadyAccepted("This update was accepted before")
                await conn.executemany(_QUEUE, queued)
        except BaseException:
            for key in keys:
                self._recent.forget(key)
            raise
        for key, row in zip(keys, sessions, strict=True):
            self._recent.remember(key, row)

    async def accept_update(
        self, channel: str, update_id: str, at: datetime, outbox: Sequence[Outgoing] = ()
    ) -> bool:
        """Accepts an update that needs no turn, with its replies; False if it was accepted before."""
        rows = [outgoing_row(o) for o in outbox]
        async with self._transaction("accept the update") as conn:
            cursor = await conn.execute(_ACCEPT, (channel, update_id, time_text(at)))
            if cursor.rowcount == 0:
                return False
            await conn.executemany(_QUEUE, rows)
        return True

    async def is_accepted(self, channel: str, update_id: str) -> bool:
        """Tells whether this update id was accepted on this channel."""
        sql = "SELECT 1 FROM inbox WHERE channel = ? AND update_id = ?"
        return bool(await self._fetch("read the inbox", sql, (channel, update_id)))

    async def enqueue(self, outbox: Sequence[Outgoing]) -> None:
        """Queues replies that answer no update."""
        rows = [outgoing_row(o) for o in outbox]
        async with self._transaction("queue the replies") as conn:
            await conn.executemany(_QUEUE, rows)

    async def claim_outbox(
        self, channel: str, worker: str, now: datetime, lease: timedelta, limit: int = 500
    ) -> Sequence[OutboxMessage]:
        """Claims pending messages nobody holds, oldest first, and extends this worker's other claims."""
        until = time_text(now + lease)
        names = {"channel": channel, "worker": worker, "now": time_text(now), "limit": limit, "until": until}
        async with self._transaction("claim outbox messages") as conn:
            await conn.execute(
                "UPDATE outbox SET claimed_until = :until "
                "WHERE channel = :channel AND state = 'pending' AND worker = :worker",
                names,
            )
            rows = await conn.execute_fetchall(
                f"UPDATE outbox SET worker = :worker, claimed_until = :until WHERE id IN ({_CLAIMABLE}) "
                f"RETURNING {_OUTBOX}",
                names,
            )
        return sorted((outbox_message(row) for row in rows), key=lambda m: m.id)

    async def release_outbox(self, channel: str, worker: str) -> None:
        """Lets go of this worker's claims, so its pending messages are claimed again."""
        sql = "UPDATE outbox SET worker = NULL, claimed_until = NULL WHERE channel = ? AND worker = ?"
        await self._write("release outbox claims", sql, (channel, worker))

    async def record_progress(self, message_id: int, parts_done: int) -> None:
        """Records how many parts of a pending message the channel has delivered."""
        sql = "UPDATE outbox SET parts_done = ? WHERE id = ? AND state = 'pending'"
        await self._write("record delivery progress", sql, (parts_done, message_id))

    async def finish_outbox(self, message_id: int, outcome: DeliveryOutcome, at: datetime) -> None:
        """Takes a message out of the queue with its outcome; its text is not kept afterwards."""
        sql = (
            "UPDATE outbox SET state = ?, finished_at = ?, body = '{}', worker = NULL, claimed_until = NULL "
            "WHERE id = ? AND state = 'pending'"
        )
        await self._write(
            "finish the outbox message", sql, (DeliveryOutcome(outcome).value, time_text(at), message_id)
        )

    async def outbox_counts(self, channel: str) -> Mapping[str, int]:
        """Counts the channel's outbox messages by state: pending, or a DeliveryOutcome value."""
        sql = "SELECT state, COUNT(*) FROM outbox WHERE channel = ? GROUP BY state"
        return {str(row[0]): int(row[1]) for row in await self._fetch("count the outbox", sql, (channel,))}

    async def turns_between(self, start: datetime, end: datetime) -> Sequence[TurnRecord]:
        """Returns logged turns with start <= at < end, oldest first."""
        sql = f"SELECT {_TURN} FROM turns WHERE at >= ? AND at < ? ORDER BY at, id"
        rows = await self._fetch("read the turn log", sql, (time_text(start), time_text(end)))
        return [turn_from_row(row) for row in rows]

    async def add_referral(self, referral: Referral) -> None:
        """Stores a new pending referral; an id already stored is refused."""
        placeholders = ", ".join("?" * 16)
        sql = f"INSERT INTO referrals ({_REFERRAL}) VALUES ({placeholders})"
        await self._write("store the referral", sql, referral_row(referral))

    async def referrals_for(self, channel: str, user_id: str) -> Sequence[Referral]:
        """Returns every referral a person made, newest first."""
        sql = (
            f"SELECT {_REFERRAL} FROM referrals WHERE channel = ? AND user_id = ? "
            "ORDER BY consented_at DESC, rowid DESC"
        )
        rows = await self._fetch("read the referrals", sql, (channel, user_id))
        return [referral_from_row(row) for row in rows]

    async def withdraw_referral(self, referral_id: str, channel: str, user_id: str) -> bool:
        """Withdraws a pending referral of this person; False if none could be withdrawn."""
        sql = (
            "UPDATE referrals SET status = 'withdrawn' "
            "WHERE id = ? AND channel = ? AND user_id = ? AND status = 'pending'"
        )
        return await self._write("withdraw the referral", sql, (referral_id, channel, user_id)) == 1

    async def pending_referrals(self, provider_id: str | None = None) -> Sequence[Referral]:
        """Returns pending referrals not yet in an unfinished digest, oldest first."""
        order = " ORDER BY consented_at, rowid"
        if provider_id is None:
            rows = await self._fetch("read pending referrals", _PENDING + order, ())
        else:
            sql = _PENDING + " AND provider_id = ?" + order
            rows = await self._fetch("read pending referrals", sql, (provider_id,))
        return [referral_from_row(row) for row in rows]

    async def referrals_between(self, start: datetime, end: datetime) -> Sequence[Referral]:
        """Returns referrals consented within [start, end), any status, oldest first."""
        sql = (
            f"SELECT {_REFERRAL} FROM referrals WHERE consented_at >= ? AND consented_at < ? "
            "ORDER BY consented_at, rowid"
        )
        rows = await self._fetch("read referrals", sql, (time_text(start), time_text(end)))
        return [referral_from_row(row) for row in rows]

    async def referrals_by_id(self, referral_ids: Iterable[str]) -> Sequence[Referral]:
        """Returns the stored referrals with these ids, in the order asked; unknown ids are skipped."""
        wanted = list(referral_ids)
        sql = f"SELECT {_REFERRAL} FROM referrals WHERE id IN (SELECT value FROM json_each(?))"
        rows = await self._fetch("read referrals", sql, (json_text(wanted),))
        found = {row[0]: referral_from_row(row) for row in rows}
        return [found[i] for i in wanted if i in found]

    async def start_digest(self, record: DigestRecord) -> None:
        """Records that a digest of these referrals is about to be sent."""
        links = [(record.digest_id, n, i) for n, i in enumerate(record.referral_ids)]
        async with self._transaction("record the digest") as conn:
            marks = ",".join("?" * len(record.referral_ids))
            taken = await conn.execute_fetchall(
                f"SELECT COUNT(*) FROM referrals WHERE id IN ({marks}) AND (status != 'pending' OR id IN "
                "(SELECT l.referral_id FROM digest_referrals l JOIN digests d ON d.digest_id = l.digest_id "
                "WHERE d.finished_at IS NULL))",
                record.referral_ids,
            )
            if next(iter(taken))[0]:
                raise AlreadyClaimed(
                    "Some of these referrals are already in another digest or no longer pending"
                )
            await conn.execute(
                f"INSERT INTO digests ({_DIGEST}) VALUES (?, ?, ?, ?, ?, ?, ?)", digest_row(record)
            )
            await conn.executemany("INSERT INTO digest_referrals VALUES (?, ?, ?)", links)

    async def finish_digest(self, digest_id: str, at: datetime) -> None:
        """Marks a digest delivered and its still-pending referrals sent; finishing twice changes nothing."""
        async with self._transaction("finish the digest") as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT finished_at FROM digests WHERE digest_id = ?", (digest_id,)
                )
            )
            if not rows:
                raise StorageError(f"There is no digest with id {digest_id!r}")
            if rows[0][0] is not None:
                return
            await conn.execute(
                "UPDATE digests SET finished_at = ? WHERE digest_id = ?", (time_text(at), digest_id)
            )
            await conn.execute(
                "UPDATE referrals SET status = 'sent', digest_id = ?, sent_at = ? WHERE status = 'pending' "
                "AND id IN (SELECT referral_id FROM digest_referrals WHERE digest_id = ?)",
                (digest_id, time_text(at), digest_id),
            )

    async def fail_digest(self, digest_id: str, error: str, next_attempt_at: datetime) -> None:
        """Records a failed attempt; the digest stays unfinished and is retried later."""
        sql = (
            "UPDATE digests SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
            "WHERE digest_id = ? AND finished_at IS NULL"
        )
        changed = await self._write(
            "record the failed digest", sql, (error, time_text(next_attempt_at), digest_id)
        )
        if changed == 0:
            raise StorageError(f"There is no unfinished digest with id {digest_id!r}")

    async def unfinished_digests(self, provider_id: str | None = None) -> Sequence[DigestRecord]:
        """Returns digests started but not finished, oldest first (to re-send with the same id)."""
        where = "finished_at IS NULL" + ("" if provider_id is None else " AND provider_id = ?")
        params = () if provider_id is None else (provider_id,)
        async with self._transaction("read unfinished digests", begin="BEGIN") as conn:
            sql = f"SELECT {_DIGEST} FROM digests WHERE {where} ORDER BY started_at, digest_id"
            digests = list(await conn.execute_fetchall(sql, params))
            links = await conn.execute_fetchall(
                "SELECT digest_id, referral_id FROM digest_referrals WHERE digest_id IN "
                f"(SELECT digest_id FROM digests WHERE {where}) ORDER BY digest_id, position",
                params,
            )
        ids: dict[str, list[str]] = {}
        for digest_id, referral_id in links:
            ids.setdefault(digest_id, []).append(referral_id)
        return [digest_from_row(row, ids.get(row[0], [])) for row in digests]

    async def last_digest_at(self, provider_id: str) -> datetime | None:
        """Returns when the provider's last digest was delivered."""
        sql = "SELECT MAX(finished_at) FROM digests WHERE provider_id = ? AND finished_at IS NOT NULL"
        rows = await self._fetch("read the digest ledger", sql, (provider_id,))
        return optional_time_from_text(rows[0][0])

    async def add_feedback(self, record: FeedbackRecord) -> None:
        """Stores a thumbs up or down."""
        sql = f"INSERT INTO feedback ({_FEEDBACK}) VALUES (?, ?, ?, ?, ?)"
        row = (record.channel, record.user_id, record.entry, int(record.helpful), time_text(record.at))
        await self._write("store the feedback", sql, row)

    async def feedback_between(self, start: datetime, end: datetime) -> Sequence[FeedbackRecord]:
        """Returns feedback given within [start, end), oldest first."""
        sql = f"SELECT {_FEEDBACK} FROM feedback WHERE at >= ? AND at < ? ORDER BY at, id"
        rows = await self._fetch("read feedback", sql, (time_text(start), time_text(end)))
        return [feedback_from_row(row) for row in rows]

    async def sessions_between(self, start: datetime, end: datetime) -> Sequence[Session]:
        """Returns sessions created within [start, end), oldest first."""
        sql = (
            f"SELECT {_SESSION} FROM sessions WHERE created_at >= ? AND created_at < ? "
            "ORDER BY created_at, channel, user_id"
        )
        rows = await self._fetch("read sessions", sql, (time_text(start), time_text(end)))
        return list(readable_sessions(rows))

    async def export_person(self, channel: str, user_id: str) -> dict[str, Any]:
        """Returns everything held about a person, as JSON-serialisable data."""
        person = (channel, user_id)
        mine = "WHERE channel = ? AND user_id = ?"
        async with self._transaction("export the person's data", begin="BEGIN") as conn:
            sessions = await conn.execute_fetchall(f"SELECT {_SESSION} FROM sessions {mine}", person)
            turns = await conn.execute_fetchall(f"SELECT {_TURN} FROM turns {mine} ORDER BY at, id", person)
            referrals = await conn.execute_fetchall(
                f"SELECT {_REFERRAL} FROM referrals {mine} ORDER BY consented_at, rowid", person
            )
            feedback = await conn.execute_fetchall(
                f"SELECT {_FEEDBACK} FROM feedback {mine} ORDER BY at, id", person
            )
            set_aside = await conn.execute_fetchall(
                f"SELECT {_SESSION}, reason, set_aside_at FROM set_aside_sessions {mine} ORDER BY id", person
            )
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
        mine = "WHERE channel = ? AND user_id = ?"
        sent = f"SELECT DISTINCT provider_id FROM referrals {mine} AND status = 'sent' ORDER BY provider_id"
        links = f"DELETE FROM digest_referrals WHERE referral_id IN (SELECT id FROM referrals {mine})"
        try:
            async with self._transaction("erase the person's data") as conn:
                sent_to = await conn.execute_fetchall(sent, person)
                await conn.execute(links, person)
                counts = [
                    (await conn.execute(f"DELETE FROM {table} {mine}", person)).rowcount
                    for table in ("turns", "referrals", "feedback", "sessions", "set_aside_sessions")
                ]
                await conn.execute(f"DELETE FROM outbox {mine}", person)
        finally:
            # After the delete, so that no read that raced it leaves the old row behind.
            self._recent.forget(person)
        await self._checkpoint()
        turns, referrals, feedback, sessions, set_aside = counts
        return ErasureReport(
            turns, referrals, feedback, sessions + set_aside, tuple(row[0] for row in sent_to)
        )

    async def purge_before(self, cutoff: datetime) -> int:
        """Removes personal data older than cutoff; turns keep only anonymous fields. Returns rows changed."""
        when = (time_text(cutoff),)
        steps = (
            "DELETE FROM sessions WHERE updated_at < ?",
            "DELETE FROM referrals WHERE consented_at < ? "
            f"AND NOT (status = 'pending' AND id IN ({_IN_FLIGHT}))",
            "UPDATE turns SET text = '', user_id = '', payload = NULL "
            "WHERE at < ? AND (text <> '' OR user_id <> '' OR payload IS NOT NULL)",
            "UPDATE feedback SET user_id = '' WHERE at < ? AND user_id <> ''",
            "DELETE FROM set_aside_sessions WHERE set_aside_at < ?",
        )
        changed = 0
        try:
            async with self._transaction("purge old data") as conn:
                # The ledger forgets which digests held the referrals that go (not a change counted).
                await conn.execute(
                    "DELETE FROM digest_referrals WHERE referral_id IN (SELECT id FROM referrals WHERE "
                    f"consented_at < ? AND NOT (status = 'pending' AND id IN ({_IN_FLIGHT})))",
                    when,
                )
                for sql in steps:
                    changed += (await conn.execute(sql, when)).rowcount
                # Accepted update ids and finished replies (which keep no text) are not personal data.
                await conn.execute("DELETE FROM inbox WHERE accepted_at < ?", when)
                await conn.execute("DELETE FROM outbox WHERE finished_at < ?", when)
        finally:
            self._recent.clear()
        await self._checkpoint()
        return changed

    async def _checkpoint(self) -> None:
        """Copies the write-ahead log into the file and empties it, so erased rows leave no old copies there.

        secure_delete has already zeroed the freed space in the pages the erasure wrote; until this, the
        log still holds earlier versions of those pages.
        """
        rows = await self._fetch("checkpoint the database", "PRAGMA wal_checkpoint(TRUNCATE)", ())
        if rows and rows[0][0]:
            # Another connection (a staff command) is reading: the log is emptied at a later checkpoint.
            log.warning("the write-ahead log could not be emptied after an erasure; it will be later")

    async def _configure(self, conn: aiosqlite.Connection) -> None:
        rows = list(await conn.execute_fetchall("PRAGMA journal_mode = WAL"))
        if rows[0][0] != "wal":
            raise StorageError(f"{self._path} cannot use write-ahead logging (journal mode {rows[0][0]})")
        await conn.execute("PRAGMA synchronous = NORMAL")
        # Deleted rows are overwritten with zeros, so erased personal data does not stay in free space.
        await conn.execute("PRAGMA secure_delete = ON")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")

    def _connection(self) -> aiosqlite.Connection:
        """Returns the open connection, after checking that its files are still there and writable.

        Costs a few system calls per operation. Without it, SQLite writes on into a deleted file and every
        later turn is lost silently, and a -shm file made immutable kills the process with SIGBUS.
        """
        if self._conn is None:
            raise StorageError("The store is not open; call open() first")
        if _identity(self._path) != self._file:
            raise StorageError(
                f"The database file {self._path} was deleted or replaced while the bot was running, so "
                "nothing more can be saved; restore it from a backup (or let the bot make a new one) and "
                "restart the bot"
            )
        _refuse_unwritable(self._path)
        return self._conn

    async def _fetch(self, action: str, sql: str, params: Sequence[Any]) -> list[Row]:
        async with self._lock:
            conn = self._connection()
            with _translated(action):
                return list(await conn.execute_fetchall(sql, params))

    async def _write(self, action: str, sql: str, params: Sequence[Any]) -> int:
        async with self._lock:
            conn = self._connection()
            with _translated(action):
                return (await conn.execute(sql, params)).rowcount

    @asynccontextmanager
    async def _transaction(
        self, action: str, begin: str = "BEGIN IMMEDIATE"
    ) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            conn = self._connection()
            with _translated(action):
                await conn.execute(begin)
                try:
                    yield conn
                    await conn.execute("COMMIT")
                except BaseException:
                    with suppress(sqlite3.Error, ValueError):
                        await conn.execute("ROLLBACK")
                    raise


class _TurnRows(NamedTuple):
    """The rows one saved turn writes: its session, its turn, its update id and its replies."""

    session: Row
    turn: Row
    accepted: Row | None
    outbox: list[Row]


def _identity(path: Path) -> tuple[int, int] | None:
    """Returns the device and inode of the file, or None when there is none."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def _refuse_unwritable(path: Path) -> None:
    """Raises StorageError naming the first of the database's files that exists and cannot be written.

    os.access sees what SQLite would meet: permissions, a read-only mount, and `chattr +i`, even as root.
    """
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists() and not os.access(part, os.W_OK):
            raise StorageError(
                f"The database file {part} cannot be written (read-only, or made immutable with chattr +i); "
                "the bot needs to write it. Check its permissions (ls -l) and attributes (lsattr)"
            )


def _not_the_database(error: BaseException) -> bool:
    """True when a failed batch of turns is worth retrying one by one: the fault may lie in one turn's row,
    not in the database being locked, full or unreadable."""
    return not isinstance(error.__cause__, sqlite3.OperationalError)


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turns any driver error into a StorageError that says what was being done."""
    try:
        yield
    except (sqlite3.Error, UnicodeEncodeError) as exc:
        # UnicodeEncodeError: text with lone surrogates, which the engine cleans before it gets here.
        raise StorageError(f"Could not {action}: {exc}") from exc
