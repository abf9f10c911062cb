"""How records become rows and rows become records, in the columns both SQL stores share."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from bot.core.session import Session
from bot.referrals.model import Referral, ReferralStatus
from bot.storage.base import DigestRecord, FeedbackRecord, OutboxMessage, Outgoing, TurnRecord
from bot.storage.codec import (
    json_from_text,
    json_text,
    optional_time_from_text,
    optional_time_text,
    reply_from_value,
    reply_value,
    time_from_text,
    time_text,
)

__all__ = [
    "Row",
    "UnreadableRow",
    "as_text",
    "digest_from_row",
    "digest_row",
    "feedback_from_row",
    "outbox_message",
    "outgoing_row",
    "readable_sessions",
    "referral_from_row",
    "referral_row",
    "session_from_row",
    "session_row",
    "turn_from_row",
    "turn_row",
]

log = logging.getLogger(__name__)

Row = Sequence[Any]


def outgoing_row(outgoing: Outgoing) -> tuple[Any, ...]:
    """Returns the outbox columns of a reply to be delivered."""
    return (
        outgoing.channel,
        outgoing.user_id,
        outgoing.address,
        json_text(reply_value(outgoing.reply)),
        time_text(outgoing.created_at),
    )


def outbox_message(row: Row) -> OutboxMessage:
    """Returns the outbox message an outbox row holds."""
    message_id, channel, user_id, address, body, created_at, parts_done = row
    reply = reply_from_value(json_from_text(body))
    return OutboxMessage(
        message_id, Outgoing(channel, user_id, address, reply, time_from_text(created_at)), parts_done
    )


def session_row(session: Session) -> tuple[Any, ...]:
    """Returns the sessions columns of a session."""
    return (
        session.channel,
        session.user_id,
        session.journey,
        session.step,
        json_text(session.data),
        session.campaign,
        int(session.active),
        time_text(session.created_at),
        time_text(session.updated_at),
    )


class UnreadableRow(ValueError):
    """A stored row that does not decode to a record; the message says why, without its contents."""


def session_from_row(row: Row) -> Session:
    """Returns the session a sessions row holds; raises UnreadableRow when it does not decode."""
    channel, user_id, journey, step, data, campaign, active, created_at, updated_at = row
    if not all(isinstance(v, str | None) for v in (journey, step, campaign)):
        raise UnreadableRow("journey, step or campaign is not text")
    try:
        found = json_from_text(data)
    except (TypeError, ValueError):
        raise UnreadableRow("data is not JSON") from None
    if not isinstance(found, dict):
        raise UnreadableRow("data is not a JSON object")
    return Session(
        channel=channel,
        user_id=user_id,
        journey=journey,
        step=step,
        data=found,
        campaign=campaign,
        active=bool(active),
        created_at=_stored_time(created_at, "created_at"),
        updated_at=_stored_time(updated_at, "updated_at"),
    )


def _stored_time(value: Any, column: str) -> datetime:
    try:
        at = time_from_text(value)
    except (TypeError, ValueError):
        raise UnreadableRow(f"{column} is not a time") from None
    if at.utcoffset() is None:
        raise UnreadableRow(f"{column} has no time zone")
    return at


def readable_sessions(rows: Iterable[Row]) -> Iterator[Session]:
    """Yields the sessions of the rows that can be read, logging the others."""
    for row in rows:
        try:
            yield session_from_row(row)
        except UnreadableRow as exc:
            log.warning("skipped a stored session that could not be read (%s)", exc)


def as_text(value: Any) -> Any:
    """Returns text for a value that may have been stored as bytes."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def turn_row(record: TurnRecord) -> tuple[Any, ...]:
    """Returns the turns columns of a logged turn."""
    return (
        record.channel,
        record.user_id,
        time_text(record.at),
        record.text,
        record.payload,
        record.status,
        record.entry,
        record.topic,
        record.score,
        record.journey,
        record.campaign,
    )


def turn_from_row(row: Row) -> TurnRecord:
    """Returns the logged turn a turns row holds."""
    channel, user_id, at, text, payload, status, entry, topic, score, journey, campaign = row
    return TurnRecord(
        channel, user_id, time_from_text(at), text, payload, status, entry, topic, score, journey, campaign
    )


def feedback_from_row(row: Row) -> FeedbackRecord:
    """Returns the feedback a feedback row holds."""
    channel, user_id, entry, helpful, at = row
    return FeedbackRecord(channel, user_id, entry, bool(helpful), time_from_text(at))


def referral_row(r: Referral) -> tuple[Any, ...]:
    """Returns the referrals columns of a referral."""
    return (
        r.id,
        r.channel,
        r.user_id,
        r.provider_id,
        r.name,
        r.email,
        r.phone,
        r.telegram_handle,
        json_text(r.preferences),
        r.campaign,
        r.consent_version,
        time_text(r.consented_at),
        ReferralStatus(r.status).value,
        r.digest_id,
        optional_time_text(r.sent_at),
        json_text(r.extra),
    )


def referral_from_row(row: Row) -> Referral:
    """Returns the referral a referrals row holds."""
    values = list(row)
    values[8] = json_from_text(values[8])
    values[11] = time_from_text(values[11])
    values[12] = ReferralStatus(values[12])
    values[14] = optional_time_from_text(values[14])
    values[15] = json_from_text(values[15])
    return Referral(*values)


def digest_row(record: DigestRecord) -> tuple[Any, ...]:
    """Returns the digests columns of a digest ledger row."""
    return (
        record.digest_id,
        record.provider_id,
        time_text(record.started_at),
        optional_time_text(record.finished_at),
        record.attempts,
        record.last_error,
        optional_time_text(record.next_attempt_at),
    )


def digest_from_row(row: Row, referral_ids: Sequence[str]) -> DigestRecord:
    """Returns the digest ledger row, with the ids of its referrals in order."""
    digest_id, provider_id, started_at, finished_at, attempts, last_error, next_attempt_at = row
    return DigestRecord(
        digest_id=digest_id,
        provider_id=provider_id,
        referral_ids=tuple(referral_ids),
        started_at=time_from_text(started_at),
        finished_at=optional_time_from_text(finished_at),
        attempts=attempts,
        last_error=last_error,
        next_attempt_at=optional_time_from_text(next_attempt_at),
    )
