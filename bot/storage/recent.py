"""Stored rows of people who wrote lately, kept in memory so that a conversation's next turn skips a read."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class RecentRows(Generic[Key, Value]):
    """A bounded map of rows by key that forgets a row once it has gone unused for idle_seconds.

    The rows are exactly what was written to or read from the database, so the map never holds anything the
    database does not. Rows are immutable tuples: whoever reads one cannot change what the next reader gets.
    A read that started before a write to the same key must not be kept, so every change bumps a counter that
    readers compare before they remember what they fetched.
    """

    def __init__(
        self, capacity: int, idle_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rows: OrderedDict[Key, tuple[float, Value]] = OrderedDict()
        self._capacity = capacity
        self._idle = idle_seconds
        self._clock = clock
        self.changes = 0  # bumped on every write or removal, so a read in flight can tell it is stale

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: Key) -> Value | None:
        """Returns the row if it was used within the idle time, and marks it used now."""
        held = self._rows.get(key)
        if held is None:
            return None
        now = self._clock()
        used, row = held
        if now - used > self._idle:
            del self._rows[key]
            return None
        self._rows[key] = (now, row)
        self._rows.move_to_end(key)
        return row

    def remember(self, key: Key, row: Value, *, read_at_change: int | None = None) -> None:
        """Keeps a row; one read when changes stood at read_at_change is dropped if anything changed since."""
        if read_at_change is not None and read_at_change != self.changes:
            return
        if read_at_change is None:
            self.changes += 1
        if not self._capacity:
            return  # a store that keeps nothing in memory
        self._rows[key] = (self._clock(), row)
        self._rows.move_to_end(key)
        while len(self._rows) > self._capacity:
            self._rows.popitem(last=False)

    def forget(self, key: Key) -> None:
        """Drops one row, for example after it was deleted or a write of it failed."""
        self.changes += 1
        self._rows.pop(key, None)

    def clear(self) -> None:
        """Drops every row, for example after a purge removed rows by age."""
        self.changes += 1
        self._rows.clear()
