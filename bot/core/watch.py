"""Reloading the knowledge while the bot runs: when its files change, and when the process gets SIGHUP."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from bot.config import ReloadConfig
from bot.core.content import ContentHolder
from bot.errors import KnowledgeError, Problem

log = logging.getLogger(__name__)

Snapshot = dict[str, tuple[int, int]]  # file -> (modified time in ns, size)
OnResult = Callable[["ReloadResult"], object]
_Handler = Callable[[int, FrameType | None], object] | int | None


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What one reload did: the version now served, and the problems if it was refused."""

    version: str
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """Tells whether the new files were taken into use."""
        return not self.problems


async def reload_now(holder: ContentHolder) -> ReloadResult:
    """Reloads the knowledge; on errors logs each located problem and keeps serving the old content."""
    try:
        version = await holder.reload()
    except KnowledgeError as exc:
        errors = tuple(p for p in exc.problems if p.severity == "error")
        for problem in errors:
            log.error("knowledge not reloaded: %s", problem)
        return ReloadResult(holder.current.knowledge.version, errors or exc.problems)
    return ReloadResult(version)


def snapshot(folder: Path) -> Snapshot:
    """Returns the modified time and size of every file under the folder."""
    found: Snapshot = {}
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                stat = path.stat()
                found[str(path.relative_to(folder))] = (stat.st_mtime_ns, stat.st_size)
        except OSError:  # an editor may remove a temporary file between listing and stat
            continue
    return found


async def watch_knowledge(
    holder: ContentHolder, poll_seconds: float, on_result: OnResult | None = None
) -> None:
    """Polls the knowledge folder and reloads once a change has settled; runs until cancelled."""
    seen = await asyncio.to_thread(snapshot, holder.folder)
    while True:
        await asyncio.sleep(poll_seconds)
        current = await asyncio.to_thread(snapshot, holder.folder)
        if current == seen:
            continue
        seen = await _settled(holder.folder, current, poll_seconds)
        try:
            result = await reload_now(holder)
        except Exception:  # the watcher must outlive one bad reload, whatever went wrong
            log.exception("knowledge reload failed")
            continue
        if on_result is not None:
            on_result(result)


async def _settled(folder: Path, changed: Snapshot, poll_seconds: float) -> Snapshot:
    """Waits until two polls in a row see the same files, so a save in several steps is read whole."""
    while True:
        await asyncio.sleep(poll_seconds)
        later = await asyncio.to_thread(snapshot, folder)
        if later == changed:
            return later
        changed = later


class SighupReload:
    """A SIGHUP handler that reloads the knowledge; cancel() removes it and restores the one before."""

    def __init__(
        self, holder: ContentHolder, loop: asyncio.AbstractEventLoop, on_result: OnResult | None
    ) -> None:
        self._holder = holder
        self._loop = loop
        self._on_result = on_result
        self._tasks: set[asyncio.Task[None]] = set()
        self._previous: _Handler = signal.getsignal(signal.SIGHUP)
        loop.add_signal_handler(signal.SIGHUP, self._start)

    def _start(self) -> None:
        log.info("SIGHUP received: reloading the knowledge")
        task = self._loop.create_task(self._reload())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reload(self) -> None:
        result = await reload_now(self._holder)
        if self._on_result is not None:
            self._on_result(result)

    def cancel(self) -> None:
        """Stops listening for SIGHUP and cancels a reload in progress."""
        self._loop.remove_signal_handler(signal.SIGHUP)
        if self._previous is not None:
            signal.signal(signal.SIGHUP, self._previous)
        for task in list(self._tasks):
            task.cancel()


def install_sighup_reload(
    holder: ContentHolder, loop: asyncio.AbstractEventLoop, on_result: OnResult | None = None
) -> SighupReload:
    """Makes SIGHUP reload the knowledge; returns a handle whose cancel() undoes it."""
    return SighupReload(holder, loop, on_result)


class Reloading:
    """Both ways of reloading, as configured, started and stopped together."""

    def __init__(self, sighup: SighupReload, watcher: asyncio.Task[None] | None) -> None:
        self._sighup = sighup
        self._watcher = watcher

    def cancel(self) -> None:
        """Stops the folder watcher and the SIGHUP handler."""
        self._sighup.cancel()
        if self._watcher is not None:
            self._watcher.cancel()


def start_reloading(
    holder: ContentHolder, settings: ReloadConfig, on_result: OnResult | None = None
) -> Reloading:
    """Installs the SIGHUP reload and, if configured, starts watching the folder (call inside the loop)."""
    loop = asyncio.get_running_loop()
    sighup = install_sighup_reload(holder, loop, on_result)
    watcher = None
    if settings.watch:
        watcher = loop.create_task(watch_knowledge(holder, settings.poll_seconds, on_result))
    return Reloading(sighup, watcher)
