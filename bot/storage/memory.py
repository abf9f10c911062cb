"""The in-memory store: the reference behaviour of the Store contract, used by tests and the terminal."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.core.session import Session
from bot.errors import AlreadyAccepted, AlreadyClaimed, StorageError
from bot.referrals.model import Referral, ReferralStatus
from bot.storage.base import (
    DeliveryOutcome,
    DigestRecord,
    ErasureReport,
    FeedbackRecord,
    OutboxMessage,
    Outgoing,
    TurnRecord,
)
from bot.storage.codec import (
    normal_digest,
    normal_feedback,
    normal_outgoing,
    normal_referral,
    normal_session,
    normal_turn,
    plain,
    utc,
)

__all__ = ["MemoryStore"]

_Record = TypeVar("_Record")
PENDING = "pending"


@dataclass
class _Queued:
    """One outbox row: the message, its state and who holds it until when."""

    outgoing: Outgoing
    parts_done: int = 0
    state: str = PENDING
    worker: str | None = None
    until: datetime | None = None
    finished_at: datetime | None = None


class MemoryStore:
    """Keeps everything in dicts and lists for the life of the process.

    No method awaits part-way through, so under asyncio each call runs whole
    before another starts: that is what makes it safe for many tasks at once.
    Records are normalised on the way in (UTC times, JSON-copied dicts) so they
    come back exactly as the SQLite store returns them.
    """

    def __init__(self) -> None:
        self._open = False
        self._sessions: dict[tuple[str, str], Session] = {}
        self._turns: list[TurnRecord] = []
        self._referrals: dict[str, Referral] = {}
        self._digests: dict[str, DigestRecord] = {}
        self._feedback: list[FeedbackRecord] = []
        self._inbox: dict[tuple[str, str], datetime] = {}
        self._outbox: dict[int, _Queued] = {}
        self._outbox_ids = itertools.count(1)

    async def open(self) -> None:
        """Makes the store usable; data kept before a close is still there."""
        self._open = True

    async def close(self) -> None:
        """Makes the store unusable until it is opened again."""
        self._open = False

    def person(self, channel: str, user_id: str) -> AbstractAsyncContextManager[None]:
        """Holds nothing: one process writes this store, and the engine orders each person's turns."""
        return nullcontext()

    async def get_session(self, channel: str, user_id: str) -> Session | None:
        """Returns the saved session, or None for someone new."""
        self._check_open()
        found = self._sessions.get((channel, user_id))
        return None if found is None else normal_session(found)

    async def save_session(self, session: Session) -> None:
        """Saves the session, replacing any earlier one for the same person."""
        self._check_open()
        self._sessions[(session.channel, session.user_id)] = normal_session(session)

    async def log_turn(self, record: TurnRecord) -> None:
        """Appends one turn to the turn log."""
        self._check_open()
        self._turns.append(normal_turn(record))

    async def save_turn(
        self,
        session: Session,
        record: TurnRecord,
        *,
        update_id: str | None = None,
        outbox: Sequence[Outgoing] = (),
    ) -> None:
        """Saves the session, logs the turn, accepts the update id and queues the replies: all, or none."""
        self._check_open()
        if update_id is not None and (session.channel, update_id) in self._inbox:
            raise AlreadyAccepted(f"Update {update_id} on {session.channel} was accepted before")
        queued = [normal_outgoing(o) for o in outbox]  # normalised first, so a bad one keeps nothing
        await self.save_session(session)
        await self.log_turn(record)
        if update_id is not None:
            self._inbox[(session.channel, update_id)] = utc(record.at)
        self._queue(queued)

    async def accept_update(
        self, channel: str, update_id: str, at: datetime, outbox: Sequence[Outgoing] = ()
    ) -> bool:
        """Accepts an update that needs no turn, with its replies; False if it was accepted before."""
        self._check_open()
        if (channel, update_id) in self._inbox:
            return False
        queued = [normal_outgoing(o) for o in outbox]
        self._inbox[(channel, update_id)] = utc(at)
        self._queue(queued)
        return True

    async def is_accepted(self, channel: str, update_id: str) -> bool:
        """Tells whether this update id was accepted on this channel."""
        self._check_open()
        return (channel, update_id) in self._inbox

    async def enqueue(self, outbox: Sequence[Outgoing]) -> None:
        """Queues replies that answer no update."""
        self._check_open()
        self._queue([normal_outgoing(o) for o in outbox])

    async def claim_outbox(
        self, channel: str, worker: str, now: datetime, lease: timedelta, limit: int = 500
    ) -> Sequence[OutboxMessage]:
        """Claims pending messages nobody holds, oldest first, and extends this worker's other claims."""
        self._check_open()
        now = utc(now)
        pending = [
            (i, q) for i, q in self._outbox.items() if q.state == PENDING and q.outgoing.channel == channel
        ]
        held_elsewhere = {
            q.outgoing.address
            for _, q in pending
            if q.worker not in (None, worker) and q.until is not None and q.until > now
        }
        claimed: list[OutboxMessage] = []
        for message_id, queued in pending:
            if queued.worker == worker:
                queued.until = now + lease
            elif queued.outgoing.address not in held_elsewhere and len(claimed) < limit:
                queued.worker, queued.until = worker, now + lease
                claimed.append(OutboxMessage(message_id, normal_outgoing(queued.outgoing), queued.parts_done))
        return claimed

    async def release_outbox(self, channel: str, worker: str) -> None:
        """Lets go of this worker's claims, so its pending messages are claimed again."""
        self._check_open()
        for queued in self._outbox.values():
            if queued.outgoing.channel == channel and queued.worker == worker:
                queued.worker, queued.until = None, None

    async def record_progress(self, message_id: int, parts_done: int) -> None:
        """Records how many parts of a pending message the channel has delivered."""
        self._check_open()
        queued = self._outbox.get(message_id)
        if queued is not None and queued.state == PENDING:
            queued.parts_done = parts_done

    async def finish_outbox(self, message_id: int, outcome: DeliveryOutcome, at: datetime) -> None:
        """Takes a message out of the queue with its outcome; its text is not kept afterwards."""
        self._check_open()
        queued = self._outbox.get(message_id)
        if queued is None or queued.state != PENDING:
            return
        queued.state, queued.finished_at = DeliveryOutcome(outcome).value, utc(at)
        queued.worker = queued.until = None
        queued.outgoing = replace(
            queued.outgoing, reply=replace(queued.outgoing.reply, text="", attachment=None)
        )

    async def outbox_counts(self, channel: str) -> Mapping[str, int]:
        """Counts the channel's outbox messages by state: pending, or a DeliveryOutcome value."""
        self._check_open()
        return dict(Counter(q.state for q in self._outbox.values() if q.outgoing.channel == channel))

    def _queue(self, outbox: Iterable[Outgoing]) -> None:
        for outgoing in outbox:
            self._outbox[next(self._outbox_ids)] = _Queued(outgoing)

    async def turns_between(self, start: datetime, end: datetime) -> Sequence[TurnRecord]:
        """Returns logged turns with start <= at < end, oldest first."""
        self._check_open()
        return _between(self._turns, start, end, lambda turn: turn.at)

    async def add_referral(self, referral: Referral) -> None:
        """Stores a new pending referral; an id already stored is refused."""
        self._check_open()
        if referral.id in self._referrals:
            raise StorageError(f"A referral with id {referral.id!r} is already stored")
        self._referrals[referral.id] = normal_referral(referral)

    async def referrals_for(self, channel: str, user_id: str) -> Sequence[Referral]:
        """Returns every referral a person made, newest first."""
        self._check_open()
        mine = [r for r in reversed(self._referrals.values()) if (r.channel, r.user_id) == (channel, user_id)]
        return _copies(sorted(mine, key=lambda r: r.consented_at, reverse=True))

    async def withdraw_referral(self, referral_id: str, channel: str, user_id: str) -> bool:
        """Withdraws a pending referral of this person; False if none could be withdrawn."""
        self._check_open()
        found = self._referrals.get(referral_id)
        if found is None or (found.channel, found.user_id) != (channel, user_id):
            return False
        if found.status is not ReferralStatus.PENDING:
            return False
        self._referrals[referral_id] = replace(found, status=ReferralStatus.WITHDRAWN)
        return True

    async def pending_referrals(self, provider_id: str | None = None) -> Sequence[Referral]:
        """Returns pending referrals not yet in an unfinished digest, oldest first."""
        self._check_open()
        in_flight = self._in_flight()
        waiting = [
            r
            for r in self._referrals.values()
            if r.status is ReferralStatus.PENDING
            and r.id not in in_flight
            and provider_id in (None, r.provider_id)
        ]
        return _copies(sorted(waiting, key=lambda r: r.consented_at))

    async def referrals_between(self, start: datetime, end: datetime) -> Sequence[Referral]:
        """Returns referrals consented within [start, end), any status, oldest first."""
        self._check_open()
        return _copies(_between(self._referrals.values(), start, end, lambda r: r.consented_at))

    async def start_digest(self, record: DigestRecord) -> None:
        """Records that a digest of these referrals is about to be sent."""
        self._check_open()
        if record.digest_id in self._digests:
            raise StorageError(f"A digest with id {record.digest_id!r} is already stored")
        in_flight = {i for d in self._digests.values() if d.finished_at is None for i in d.referral_ids}
        for referral_id in record.referral_ids:
            found = self._referrals.get(referral_id)
            if referral_id in in_flight or (found is not None and found.status is not ReferralStatus.PENDING):
                raise AlreadyClaimed(
                    "Some of these referrals are already in another digest or no longer pending"
                )
        self._digests[record.digest_id] = normal_digest(record)

    async def finish_digest(self, digest_id: str, at: datetime) -> None:
        """Marks a digest delivered and its still-pending referrals sent; finishing twice changes nothing."""
        self._check_open()
        digest = self._digest(digest_id)
        if digest.finished_at is not None:
            return
        sent_at = utc(at)
        self._digests[digest_id] = replace(digest, finished_at=sent_at)
        for referral_id in digest.referral_ids:
            found = self._referrals.get(referral_id)
            if found is not None and found.status is ReferralStatus.PENDING:
                sent = replace(found, status=ReferralStatus.SENT, digest_id=digest_id, sent_at=sent_at)
                self._referrals[referral_id] = sent

    async def fail_digest(self, digest_id: str, error: str, next_attempt_at: datetime) -> None:
        """Records a failed attempt; the digest stays unfinished and is retried later."""
        self._check_open()
        digest = self._digest(digest_id)
        if digest.finished_at is not None:
            raise StorageError(f"There is no unfinished digest with id {digest_id!r}")
        self._digests[digest_id] = replace(
            digest, attempts=digest.attempts + 1, last_error=error, next_attempt_at=utc(next_attempt_at)
        )

    async def unfinished_digests(self, provider_id: str | None = None) -> Sequence[DigestRecord]:
        """Returns digests started but not finished, oldest first (to re-send with the same id)."""
        self._check_open()
        open_digests = [
            d
            for d in self._digests.values()
            if d.finished_at is None and provider_id in (None, d.provider_id)
        ]
        return sorted(open_digests, key=lambda d: (d.started_at, d.digest_id))

    async def last_digest_at(self, provider_id: str) -> datetime | None:
        """Returns when the provider's last digest was delivered."""
        self._check_open()
        times = [
            d.finished_at
            for d in self._digests.values()
            if d.provider_id == provider_id and d.finished_at is not None
        ]
        return max(times, default=None)

    async def add_feedback(self, record: FeedbackRecord) -> None:
        """Stores a thumbs up or down."""
        self._check_open()
        self._feedback.append(normal_feedback(record))

    async def feedback_between(self, start: datetime, end: datetime) -> Sequence[FeedbackRecord]:
        """Returns feedback given within [start, end), oldest first."""
        self._check_open()
        return _between(self._feedback, start, end, lambda record: record.at)

    async def sessions_between(self, start: datetime, end: datetime) -> Sequence[Session]:
        """Returns sessions created within [start, end), oldest first."""
        self._check_open()
        ordered = sorted(self._sessions.values(), key=lambda s: (s.created_at, s.channel, s.user_id))
        return [normal_session(s) for s in _between(ordered, start, end, lambda s: s.created_at)]

    async def export_person(self, channel: str, user_id: str) -> dict[str, Any]:
        """Returns everything held about a person, as JSON-serialisable data."""
        self._check_open()
        mine = (channel, user_id)
        session = self._sessions.get(mine)
        turns = sorted((t for t in self._turns if (t.channel, t.user_id) == mine), key=lambda t: t.at)
        referrals = [r for r in self._referrals.values() if (r.channel, r.user_id) == mine]
        feedback = sorted((f for f in self._feedback if (f.channel, f.user_id) == mine), key=lambda f: f.at)
        return {
            "session": None if session is None else plain(session),
            "turns": [plain(t) for t in turns],
            "referrals": [plain(r) for r in sorted(referrals, key=lambda r: r.consented_at)],
            "feedback": [plain(f) for f in feedback],
        }

    async def erase_person(self, channel: str, user_id: str) -> ErasureReport:
        """Deletes every row about a person, pending referrals included."""
        self._check_open()
        mine = (channel, user_id)
        referrals = [r for r in self._referrals.values() if (r.channel, r.user_id) == mine]
        turns_before, feedback_before = len(self._turns), len(self._feedback)
        self._turns = [t for t in self._turns if (t.channel, t.user_id) != mine]
        self._feedback = [f for f in self._feedback if (f.channel, f.user_id) != mine]
        for referral in referrals:
            del self._referrals[referral.id]
        self._unlink({r.id for r in referrals})
        sessions = 1 if self._sessions.pop(mine, None) is not None else 0
        self._outbox = {
            i: q for i, q in self._outbox.items() if (q.outgoing.channel, q.outgoing.user_id) != mine
        }
        return ErasureReport(
            turns=turns_before - len(self._turns),
            referrals=len(referrals),
            feedback=feedback_before - len(self._feedback),
            sessions=sessions,
            already_sent_to=tuple(
                sorted({r.provider_id for r in referrals if r.status is ReferralStatus.SENT})
            ),
        )

    async def purge_before(self, cutoff: datetime) -> int:
        """Removes personal data older than cutoff; turns keep only anonymous fields. Returns rows changed."""
        self._check_open()
        cutoff = utc(cutoff)
        self._purge_delivery(cutoff)
        return (
            self._purge_sessions(cutoff)
            + self._purge_referrals(cutoff)
            + self._blank_turns(cutoff)
            + self._blank_feedback(cutoff)
        )

    async def referrals_by_id(self, referral_ids: Iterable[str]) -> Sequence[Referral]:
        """Returns the stored referrals with these ids, in the order asked; unknown ids are skipped."""
        self._check_open()
        return [normal_referral(self._referrals[i]) for i in referral_ids if i in self._referrals]

    def _purge_sessions(self, cutoff: datetime) -> int:
        old = [key for key, s in self._sessions.items() if s.updated_at < cutoff]
        for key in old:
            del self._sessions[key]
        return len(old)

    def _purge_referrals(self, cutoff: datetime) -> int:
        in_flight = self._in_flight()
        old = [
            r.id
            for r in self._referrals.values()
            if r.consented_at < cutoff and not (r.status is ReferralStatus.PENDING and r.id in in_flight)
        ]
        for referral_id in old:
            del self._referrals[referral_id]
        self._unlink(set(old))
        return len(old)

    def _unlink(self, referral_ids: set[str]) -> None:
        """Drops these referrals from the digest ledger, which keeps no id of someone no longer held."""
        for digest_id, record in self._digests.items():
            kept = tuple(i for i in record.referral_ids if i not in referral_ids)
            if kept != record.referral_ids:
                self._digests[digest_id] = replace(record, referral_ids=kept)

    def _blank_turns(self, cutoff: datetime) -> int:
        changed = 0
        for index, turn in enumerate(self._turns):
            if turn.at < cutoff and (turn.text or turn.user_id or turn.payload is not None):
                self._turns[index] = replace(turn, text="", user_id="", payload=None)
                changed += 1
        return changed

    def _blank_feedback(self, cutoff: datetime) -> int:
        changed = 0
        for index, record in enumerate(self._feedback):
            if record.at < cutoff and record.user_id:
                self._feedback[index] = replace(record, user_id="")
                changed += 1
        return changed

    def _purge_delivery(self, cutoff: datetime) -> None:
        """Forgets update ids accepted, and outbox messages finished, before the cutoff (not personal data:
        finished messages keep no text, so they are not counted as changed)."""
        old_ids = [key for key, at in self._inbox.items() if at < cutoff]
        for key in old_ids:
            del self._inbox[key]
        done = [i for i, q in self._outbox.items() if q.finished_at is not None and q.finished_at < cutoff]
        for message_id in done:
            del self._outbox[message_id]

    def _in_flight(self) -> set[str]:
        return {i for d in self._digests.values() if d.finished_at is None for i in d.referral_ids}

    def _digest(self, digest_id: str) -> DigestRecord:
        found = self._digests.get(digest_id)
        if found is None:
            raise StorageError(f"There is no digest with id {digest_id!r}")
        return found

    def _check_open(self) -> None:
        if not self._open:
            raise StorageError("The store is not open; call open() first")


def _between(
    records: Iterable[_Record], start: datetime, end: datetime, when: Callable[[_Record], datetime]
) -> list[_Record]:
    low, high = utc(start), utc(end)
    return sorted((r for r in records if low <= when(r) < high), key=when)


def _copies(referrals: Iterable[Referral]) -> list[Referral]:
    return [normal_referral(r) for r in referrals]
