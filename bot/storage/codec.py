"""How stored records are normalised and turned into text columns or JSON-safe values, for every backend."""

from __future__ import annotations

import base64
import json
from dataclasses import fields, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from bot.core.session import Session
from bot.core.types import Attachment, Button, Reply, Status
from bot.referrals.model import Referral, ReferralStatus
from bot.storage.base import DigestRecord, FeedbackRecord, Outgoing, TurnRecord


def utc(at: datetime) -> datetime:
    """Returns the same instant in UTC; a naive datetime is refused because its zone is unknown."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()} cannot be stored; give it a timezone")
    return at.astimezone(UTC)


def time_text(at: datetime) -> str:
    """Returns the instant as fixed-width ISO 8601 UTC text, so text order is time order."""
    return utc(at).isoformat(timespec="microseconds")


def time_from_text(text: str) -> datetime:
    """Returns the timezone-aware instant written by time_text."""
    return datetime.fromisoformat(text)


def optional_time_text(at: datetime | None) -> str | None:
    """Returns time_text(at), or None when there is no time."""
    return None if at is None else time_text(at)


def optional_time_from_text(text: str | None) -> datetime | None:
    """Returns time_from_text(text), or None when there is no text."""
    return None if text is None else time_from_text(text)


def json_text(value: Any) -> str:
    """Returns compact JSON for a column; values JSON cannot hold are refused."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_from_text(text: str) -> Any:
    """Returns the value held in a JSON column."""
    return json.loads(text)


def json_copy(value: Any) -> Any:
    """Returns the value as it comes back from a JSON column (tuples become lists, no shared dicts)."""
    return json.loads(json_text(value))


def normal_session(session: Session) -> Session:
    """Returns the session as any backend gives it back."""
    return replace(
        session,
        data=json_copy(session.data),
        active=bool(session.active),
        created_at=utc(session.created_at),
        updated_at=utc(session.updated_at),
    )


def normal_turn(record: TurnRecord) -> TurnRecord:
    """Returns the turn as any backend gives it back."""
    score = None if record.score is None else float(record.score)
    return replace(record, at=utc(record.at), status=str(record.status), score=score)


def normal_feedback(record: FeedbackRecord) -> FeedbackRecord:
    """Returns the feedback as any backend gives it back."""
    return replace(record, helpful=bool(record.helpful), at=utc(record.at))


def normal_referral(referral: Referral) -> Referral:
    """Returns the referral as any backend gives it back."""
    return replace(
        referral,
        preferences=json_copy(referral.preferences),
        extra=json_copy(referral.extra),
        status=ReferralStatus(referral.status),
        consented_at=utc(referral.consented_at),
        sent_at=None if referral.sent_at is None else utc(referral.sent_at),
    )


def normal_digest(record: DigestRecord) -> DigestRecord:
    """Returns the digest ledger row as any backend gives it back."""
    return replace(
        record,
        referral_ids=tuple(record.referral_ids),
        started_at=utc(record.started_at),
        finished_at=None if record.finished_at is None else utc(record.finished_at),
        next_attempt_at=None if record.next_attempt_at is None else utc(record.next_attempt_at),
    )


def plain(record: Any) -> dict[str, Any]:
    """Returns a dataclass record as a JSON-safe dict (times as ISO text, enums as their values)."""
    return {field.name: _plain_value(getattr(record, field.name)) for field in fields(record)}


def _plain_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain_value(item) for item in value]
    if isinstance(value, dict | list):
        return json_copy(value)
    return value


def reply_value(reply: Reply) -> dict[str, Any]:
    """Returns a reply as JSON-safe data for the outbox (an attachment's bytes as base64)."""
    value: dict[str, Any] = {
        "text": reply.text,
        "status": str(reply.status),
        "buttons": [[b.label, b.payload] for b in reply.buttons],
        "entry": reply.entry,
        "topic": reply.topic,
        "score": reply.score,
        "numbered": reply.numbered,
    }
    if reply.attachment is not None:
        file = reply.attachment
        content = base64.b64encode(file.content).decode("ascii")
        value["attachment"] = {"filename": file.filename, "mime_type": file.mime_type, "content": content}
    return value


def reply_from_value(value: dict[str, Any]) -> Reply:
    """Returns the reply that reply_value wrote."""
    file = value.get("attachment")
    attachment = (
        None
        if file is None
        else Attachment(file["filename"], base64.b64decode(file["content"]), file["mime_type"])
    )
    return Reply(
        text=value["text"],
        status=Status(value["status"]),
        buttons=tuple(Button(label, payload) for label, payload in value["buttons"]),
        entry=value["entry"],
        topic=value["topic"],
        score=value["score"],
        attachment=attachment,
        numbered=value["numbered"],
    )


def normal_outgoing(outgoing: Outgoing) -> Outgoing:
    """Returns the outgoing reply as any backend gives it back."""
    reply = reply_from_value(json_copy(reply_value(outgoing.reply)))
    return replace(outgoing, reply=reply, created_at=utc(outgoing.created_at))
