"""Embedding the texts of turns that arrive together in one model call, off the event loop.

The matcher is pure and embeds whatever it is asked about; the engine hands each typed message to the
batcher first, so that the matcher finds its vector already made. Messages that arrive while a batch is being
embedded wait for the next one, so a lone person's message starts at once and a crowd's are embedded
together on a worker thread while the event loop goes on with everything else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

# A crowd's messages are embedded at most this many at a time, so no one waits for a very long batch.
MAX_BATCH = 32


class EmbeddingBatcher:
    """Collects texts to embed and embeds them in batches on a worker thread."""

    def __init__(self, embed: Callable[[Sequence[str]], None]) -> None:
        self._embed = embed
        self._waiting: list[tuple[str, asyncio.Future[None]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def prepare(self, text: str) -> None:
        """Returns once the text is embedded (or embedding it failed, leaving the matcher to try again)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((text, done))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        await asyncio.shield(done)

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                await asyncio.to_thread(self._embed, [text for text, _ in batch])
            except Exception:
                # Matching embeds the text itself when it finds no vector, so nothing is lost but time.
                log.exception("embedding %d message(s) ahead of their turns failed", len(batch))
            for _, done in batch:
                if not done.done():
                    done.set_result(None)
