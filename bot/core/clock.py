"""The time source, injectable so tests can fix the date."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the current time (timezone-aware, UTC)."""

    def now(self) -> datetime:
        """Returns the current time in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Returns the current time in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stays where it is set, for tests and scripted runs."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        """Returns the time the clock is set to."""
        return self.at
