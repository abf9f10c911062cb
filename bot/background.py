"""What the running bot does on its own: reload edited knowledge, send due digests, purge old data."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.app import App
from bot.commands.digest import digest_job
from bot.commands.purge import purge_job
from bot.core.clock import Clock
from bot.core.watch import Reloading, start_reloading

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


@dataclass
class Background:
    """The running bot's own tasks; stop() cancels them all."""

    reloading: Reloading
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        """Cancels every task and waits for them to end."""
        self.reloading.cancel()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def start_background(app: App, clock: Clock) -> Background:
    """Starts reloading on edits and SIGHUP, due digests every few minutes and the daily purge."""
    background = Background(start_reloading(app.content, app.config.reload))
    loop = asyncio.get_running_loop()
    digests = every(app.config.digest.check_minutes * 60, "digests", lambda: digest_job(app, clock))
    background.tasks.append(loop.create_task(digests))
    hours, minutes = (int(part) for part in app.config.privacy.purge_time.split(":"))
    zone = ZoneInfo(app.config.timezone)
    purge = daily(time(hours, minutes), zone, clock, "purge", lambda: purge_job(app, clock))
    background.tasks.append(loop.create_task(purge))
    return background


async def every(seconds: float, name: str, job: Job) -> None:
    """Runs a job every so many seconds until cancelled; a failing run is logged and the next goes ahead."""
    while True:
        await asyncio.sleep(seconds)
        await _run(name, job)


async def daily(at: time, zone: ZoneInfo, clock: Clock, name: str, job: Job) -> None:
    """Runs a job once a day at a local time until cancelled."""
    while True:
        await asyncio.sleep(seconds_until(at, zone, clock.now()))
        await _run(name, job)


def seconds_until(at: time, zone: ZoneInfo, now: datetime) -> float:
    """Returns the seconds from now until the next time the local clock shows `at`."""
    local = now.astimezone(zone)
    target = datetime.combine(local.date(), at, tzinfo=zone)
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    # Subtract in UTC: times sharing a zone object subtract as wall-clock times, missing a clock change.
    return (target.astimezone(UTC) - now.astimezone(UTC)).total_seconds()


async def _run(name: str, job: Job) -> None:
    try:
        await job()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("the scheduled %s run failed; it will run again at its next time", name)
