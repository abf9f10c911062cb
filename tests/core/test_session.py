"""Copying a session with changed data."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.session import Session

EARLIER = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _session() -> Session:
    return Session(
        channel="t", user_id="u", data={"keep": 1, "drop": 2}, created_at=EARLIER, updated_at=EARLIER
    )


def test_with_data_sets_and_removes_keys_on_a_copy() -> None:
    session = _session()
    changed = session.with_data(drop=None, added=[1, 2])
    assert changed.data == {"keep": 1, "added": [1, 2]}
    assert session.data == {"keep": 1, "drop": 2}


def test_saved_at_moves_the_time_and_changes_data_in_one_copy() -> None:
    session = _session()
    saved = session.saved_at(LATER, drop=None, added="x")
    assert (saved.updated_at, saved.created_at) == (LATER, EARLIER)
    assert saved.data == {"keep": 1, "added": "x"}
    assert (session.updated_at, session.data) == (EARLIER, {"keep": 1, "drop": 2})
