"""The in-memory rows of people who wrote lately: kept while used, forgotten when idle, never stale."""

from __future__ import annotations

from bot.storage.recent import RecentRows


class Ticker:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rows(capacity: int = 3, idle: float = 10.0) -> tuple[RecentRows[str, tuple[int, ...]], Ticker]:
    """A small map on a clock that stands still."""
    clock = Ticker()
    return RecentRows(capacity, idle, clock), clock


def test_a_row_is_served_while_it_keeps_being_used() -> None:
    recent, clock = rows(idle=10)
    recent.remember("a", (1,))
    for _ in range(5):
        clock.now += 8
        assert recent.get("a") == (1,)


def test_a_row_idle_for_too_long_is_read_again() -> None:
    recent, clock = rows(idle=10)
    recent.remember("a", (1,))
    clock.now += 10.5
    assert recent.get("a") is None
    assert len(recent) == 0


def test_the_least_recently_used_row_makes_room() -> None:
    recent, _ = rows(capacity=2)
    recent.remember("a", (1,))
    recent.remember("b", (2,))
    assert recent.get("a") == (1,)
    recent.remember("c", (3,))
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == ((1,), None, (3,))


def test_a_read_that_raced_a_change_is_not_kept() -> None:
    recent, _ = rows()
    before = recent.changes
    recent.remember("a", (2,))  # written while the read of the old row was in flight
    recent.remember("a", (1,), read_at_change=before)
    assert recent.get("a") == (2,)
    recent.forget("a")
    stale = recent.changes - 1
    recent.remember("a", (1,), read_at_change=stale)
    assert recent.get("a") is None


def test_forget_and_clear_drop_rows() -> None:
    recent, _ = rows()
    recent.remember("a", (1,))
    recent.remember("b", (2,))
    recent.forget("a")
    assert recent.get("a") is None
    recent.clear()
    assert recent.get("b") is None
