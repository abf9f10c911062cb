"""The Store contract every backend implements (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from bot.core.session import Session
from bot.core.types import Reply
from bot.referrals.model import Referral


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One logged turn: what came in, what the bot did, and how sure it was."""

    channel: str
    user_id: str
    at: datetime
    text: str
    payload: str | None
    status: str
    entry: str | None
    topic: str | None
    score: float | None
    journey: str | None
    campaign: str | None


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """A thumbs up or down on one answer entry."""

    channel: str
    user_id: str
    entry: str
    helpful: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class DigestRecord:
    """One digest in the ledger: started, then finished once the provider has it."""

    digest_id: str
    provider_id: str
    referral_ids: tuple[str, ...]
    started_at: datetime
    finished_at: datetime | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What /forget removed, and the providers that already have the person's details."""

    turns: int
    referrals: int
    feedback: int
    sessions: int
    already_sent_to: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply to be delivered: whose it is, where the channel sends it, and when it was made."""

    channel: str
    user_id: str
    address: str  # where the channel delivers it, e.g. a Telegram chat id
    reply: Reply
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A reply in the outbox, with its place in the queue and how many of its parts have gone."""

    id: int  # increases with every message queued, so it orders each address's messages
    outgoing: Outgoing
    parts_done: int


class DeliveryOutcome(StrEnum):
    """How an outbox message left the queue."""

    SENT = "sent"
    EXPIRED = "expired"  # still undelivered past the configured age: not sent late
    REFUSED = "refused"  # the channel refused it for good (a Telegram 400)
    BLOCKED = "blocked"  # the person can no longer be messaged (a Telegram 403)
    UNKNOWN = "unknown"  # a send went out but no answer came: it may have arrived, so it is not repeated


class Store(Protocol):
    """Persistence for the core; every method is safe to call from many tasks at once.

    Times must be timezone-aware and come back in UTC. Duplicate referral or digest ids, and finishing
    or failing a digest that does not exist (or failing one already finished), raise StorageError.
    """

    async def open(self) -> None:
        """Prepares the store (creates or migrates the schema)."""

    async def close(self) -> None:
        """Releases connections; the store can be opened again."""

    def person(self, channel: str, user_id: str) -> AbstractAsyncContextManager[None]:
        """Holds one person's turn against every other process serving the same database until the block ends.

        The engine holds it from loading the session to saving the turn, so two workers never handle one
        person's turns at once. A store only one process writes (memory, SQLite) has nothing to hold.
        """

    async def get_session(self, channel: str, user_id: str) -> Session | None:
        """Returns the saved session, or None for someone new."""

    async def save_session(self, session: Session) -> None:
        """Saves the session, replacing any earlier one for the same person."""

    async def log_turn(self, record: TurnRecord) -> None:
        """Appends one turn to the turn log."""

    async def save_turn(
        self,
        session: Session,
        record: TurnRecord,
        *,
        update_id: str | None = None,
        outbox: Sequence[Outgoing] = (),
    ) -> None:
        """Saves the session, logs the turn, accepts the update id and queues the replies: all, or none.

        Raises AlreadyAccepted, keeping nothing, when the update id was accepted before on this channel.
        """

    async def accept_update(
        self, channel: str, update_id: str, at: datetime, outbox: Sequence[Outgoing] = ()
    ) -> bool:
        """Accepts an update that needs no turn, with its replies; False if it was accepted before."""

    async def is_accepted(self, channel: str, update_id: str) -> bool:
        """Tells whether this update id was accepted on this channel (its replies are then in the outbox)."""

    async def enqueue(self, outbox: Sequence[Outgoing]) -> None:
        """Queues replies that answer no update (for example, an apology for one that could not be sent)."""

    async def claim_outbox(
        self, channel: str, worker: str, now: datetime, lease: timedelta, limit: int = 500
    ) -> Sequence[OutboxMessage]:
        """Claims for this worker pending messages nobody holds, oldest first, and extends its other claims.

        An address whose messages another worker holds (until its lease ends) is skipped whole, so each
        address is served by one worker at a time and keeps its order. Messages already held by this
        worker are not returned again.
        """

    async def release_outbox(self, channel: str, worker: str) -> None:
        """Lets go of this worker's claims, so its pending messages are claimed again (as on start)."""

    async def record_progress(self, message_id: int, parts_done: int) -> None:
        """Records how many parts of a pending message the channel has delivered."""

    async def finish_outbox(self, message_id: int, outcome: DeliveryOutcome, at: datetime) -> None:
        """Takes a message out of the queue with its outcome; its text is not kept afterwards."""

    async def outbox_counts(self, channel: str) -> Mapping[str, int]:
        """Counts the channel's outbox messages by state: pending, or a DeliveryOutcome value."""

    async def turns_between(self, start: datetime, end: datetime) -> Sequence[TurnRecord]:
        """Returns logged turns with start <= at < end, oldest first."""

    async def add_referral(self, referral: Referral) -> None:
        """Stores a new pending referral."""

    async def referrals_for(self, channel: str, user_id: str) -> Sequence[Referral]:
        """Returns every referral a person made, newest first."""

    async def withdraw_referral(self, referral_id: str, channel: str, user_id: str) -> bool:
        """Withdraws a pending referral of this person; False if none could be withdrawn."""

    async def pending_referrals(self, provider_id: str | None = None) -> Sequence[Referral]:
        """Returns pending referrals not yet in an unfinished digest, oldest first."""

    async def referrals_by_id(self, referral_ids: Iterable[str]) -> Sequence[Referral]:
        """Returns the stored referrals with these ids, in the order asked; unknown ids are skipped."""

    async def referrals_between(self, start: datetime, end: datetime) -> Sequence[Referral]:
        """Returns referrals consented within [start, end), any status."""

    async def start_digest(self, record: DigestRecord) -> None:
        """Records that a digest of these referrals is about to be sent.

        Raises AlreadyClaimed, recording nothing, when any of them is no longer pending or is already in an
        unfinished digest, so two digest runs at once never send the same person twice.
        """

    async def finish_digest(self, digest_id: str, at: datetime) -> None:
        """Marks a digest delivered and its referrals sent."""

    async def fail_digest(self, digest_id: str, error: str, next_attempt_at: datetime) -> None:
        """Records a failed attempt; the digest stays unfinished and is retried later."""

    async def unfinished_digests(self, provider_id: str | None = None) -> Sequence[DigestRecord]:
        """Returns digests started but not finished (to re-send with the same id)."""

    async def last_digest_at(self, provider_id: str) -> datetime | None:
        """Returns when the provider's last digest was delivered."""

    async def add_feedback(self, record: FeedbackRecord) -> None:
        """Stores a thumbs up or down."""

    async def feedback_between(self, start: datetime, end: datetime) -> Sequence[FeedbackRecord]:
        """Returns feedback given within [start, end)."""

    async def sessions_between(self, start: datetime, end: datetime) -> Sequence[Session]:
        """Returns sessions created within [start, end)."""

    async def export_person(self, channel: str, user_id: str) -> dict[str, Any]:
        """Returns everything held about a person, as JSON-serialisable data."""

    async def erase_person(self, channel: str, user_id: str) -> ErasureReport:
        """Deletes every row about a person, pending referrals included."""

    async def purge_before(self, cutoff: datetime) -> int:
        """Removes personal data older than cutoff; turns keep only anonymous fields. Returns rows changed."""
