"""The records a report is computed from, and how a logged turn is read: question, answer, shortlist."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.session import Session
from bot.referrals.model import Referral
from bot.storage.base import FeedbackRecord, TurnRecord

# A question turn is one the answering journey decided on; its status says how it went.
QUESTION_STATUSES = frozenset({"answered", "suggested", "no_match", "out_of_scope"})
UNANSWERED_STATUSES = frozenset({"suggested", "no_match"})
SHORTLIST_STATUS = "shortlist"

Person = tuple[str, str]  # (channel, user id)


@dataclass(frozen=True, slots=True)
class Records:
    """Everything stored about one period, as the store returned it."""

    sessions: Sequence[Session] = ()
    turns: Sequence[TurnRecord] = ()
    referrals: Sequence[Referral] = ()
    feedback: Sequence[FeedbackRecord] = ()


def person(turn: TurnRecord) -> Person | None:
    """Returns who took the turn, or None once purging has made the turn anonymous."""
    return (turn.channel, turn.user_id) if turn.user_id else None


def is_question(turn: TurnRecord) -> bool:
    """Tells whether the turn was a question, typed or picked from the buttons."""
    return turn.status in QUESTION_STATUSES


def is_typed_question(turn: TurnRecord) -> bool:
    """Tells whether the turn was a question the person typed (a button press is not counted)."""
    return turn.payload is None and is_question(turn)


def is_unanswered(turn: TurnRecord) -> bool:
    """Tells whether a typed question got no confident answer (only suggestions, or nothing)."""
    return turn.payload is None and turn.status in UNANSWERED_STATUSES and bool(turn.text.strip())


def people(turns: Iterable[TurnRecord], keep: Callable[[TurnRecord], bool] | None = None) -> set[Person]:
    """Returns the people with at least one turn that keep accepts (any turn when keep is None)."""
    return {who for turn in turns if (keep is None or keep(turn)) and (who := person(turn)) is not None}


def has_status(status: str) -> Callable[[TurnRecord], bool]:
    """Returns a test for turns logged with this status."""
    return lambda turn: turn.status == status


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Returns the instant a local calendar day starts."""
    return datetime.combine(day, time(), tzinfo=zone)


def last_days(now: datetime, zone: ZoneInfo, days: int) -> tuple[datetime, datetime]:
    """Returns [start, end) covering the last `days` local calendar days, today included."""
    today = now.astimezone(zone).date()
    return local_midnight(today - timedelta(days=days - 1), zone), local_midnight(today + timedelta(1), zone)


def iso_week(at: datetime, zone: ZoneInfo) -> str:
    """Returns the local ISO week of an instant, as 2026-W48."""
    year, week, _ = at.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def rate(part: int, whole: int) -> float:
    """Returns part / whole, or 0 when whole is 0."""
    return part / whole if whole else 0.0
