"""The conversation state kept for each person between turns."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

JSONDict = dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Session:
    """One person's place in the conversation, keyed by (channel, user id).

    ``data`` holds JSON-serialisable answers gathered so far (for example the
    preference profile); it is replaced, never mutated, when it changes.
    """

    channel: str
    user_id: str
    journey: str | None = None
    step: str | None = None
    data: JSONDict = field(default_factory=dict)
    campaign: str | None = None
    active: bool = True
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)

    def moved_to(self, journey: str | None, step: str | None) -> Session:
        """Returns a copy at another journey step."""
        return replace(self, journey=journey, step=step)

    def with_data(self, **changes: Any) -> Session:
        """Returns a copy with some data keys set (a value of None removes the key)."""
        return replace(self, data=_changed(self.data, changes))

    def saved_at(self, at: datetime, **changes: Any) -> Session:
        """Returns a copy last updated at the given time, with some data keys set as with_data does."""
        # One copy instead of two: the engine does this on every turn.
        return replace(self, updated_at=at, data=_changed(self.data, changes))


def _changed(data: JSONDict, changes: dict[str, Any]) -> JSONDict:
    """Returns a new dict with the changes applied, None removing a key."""
    data = dict(data)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data
