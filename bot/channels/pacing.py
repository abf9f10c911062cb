"""Pacing requests under a chat service's flood limits: at most so many in any rolling window."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

__all__ = ["RollingBudget"]


class RollingBudget:
    """Lets at most `limit` requests happen in any rolling window of `window` seconds.

    A request counts from the moment it starts until `window` seconds after its answer came back.
    The server sees the request somewhere between those two moments, so however the network delays
    it, no window the server measures can hold more than `limit` of them. Waiters are served in
    the order they came.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._flying = 0
        self._ended: deque[float] = deque()
        self._line = asyncio.Lock()
        self._freed = asyncio.Event()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Waits for room in the budget, then holds one place in it while the request runs."""
        await self._take()
        try:
            yield
        finally:
            self.give_back()

    def try_take(self, spare: int) -> bool:
        """Takes a place at once only if nobody waits and `spare` places would still be left after it."""
        self._forget_old()
        if self._line.locked() or self._used() + 1 + spare > self.limit:
            return False
        self._flying += 1
        return True

    def give_back(self) -> None:
        """Ends a request taken with try_take (slot does this itself)."""
        self._flying -= 1
        self._ended.append(self._clock())
        self._freed.set()

    def _used(self) -> int:
        return self._flying + len(self._ended)

    def _forget_old(self) -> None:
        horizon = self._clock() - self.window
        while self._ended and self._ended[0] <= horizon:
            self._ended.popleft()

    async def _take(self) -> None:
        async with self._line:
            while True:
                self._forget_old()
                if self._used() < self.limit:
                    self._flying += 1
                    return
                self._freed.clear()
                # Room comes when the oldest finished request leaves the window, or a running one ends.
                wait = self._ended[0] + self.window - self._clock() if self._ended else None
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), wait)
