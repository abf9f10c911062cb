"""`careers-bot digest`: sends providers their referral digests, and the job the running bot schedules."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from bot.config import Config, load_config
from bot.core.clock import Clock, SystemClock
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import Knowledge
from bot.knowledge.values import message
from bot.referrals.delivery import DigestSink, EmlSink, SmtpSink, TelegramDigestSink, UnavailableSender
from bot.referrals.digest import format_local_time
from bot.referrals.ledger import DigestRunReport, Outcome, ProviderReport, run_digests
from bot.storage.open import open_store

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["ProgressBar", "add_parser", "digest_job", "open_sinks", "report_lines", "run"]

log = logging.getLogger(__name__)

# One run at a time in a process: two overlapping runs could both pick up the same pending people.
_RUNNING = asyncio.Lock()


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the digest subcommand."""
    parser = subparsers.add_parser(
        "digest",
        help="send providers their referral digests",
        description=(
            "Sends each provider the people waiting to be referred to it, by email or Telegram. "
            "Failed digests are re-sent under the same reference. Exits with 1 if any are still held back."
        ),
    )
    parser.add_argument(
        "--dry-run",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="write each digest to DIR as an .eml file instead of sending (default DIR: digest.outbox_dir)",
    )
    parser.add_argument("--provider", default=None, metavar="ID", help="only this provider")
    parser.add_argument(
        "--due-only", action="store_true", help="only providers whose daily or weekly digest time has come"
    )
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH|URL",
        help="database file or postgresql:// URL (default: config.yaml)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Runs the digests, prints one line for each provider, and returns 1 if anything is held back."""
    config = load_config(args.config)
    knowledge = load_knowledge(config.knowledge_dir)
    folder = _dry_run_folder(args.dry_run, config)
    report = asyncio.run(_run(config, knowledge, args, folder))
    for line in report_lines(knowledge, report, ZoneInfo(config.timezone), folder):
        print(line)
    return 1 if report.failed else 0


def _dry_run_folder(option: str | None, config: Config) -> Path | None:
    if option is None:
        return None
    return Path(option) if option else config.digest.outbox_dir


async def _run(
    config: Config, knowledge: Knowledge, args: argparse.Namespace, folder: Path | None
) -> DigestRunReport:
    store = open_store(config.database_at(args.db))
    await store.open()
    try:
        async with open_sinks(config, knowledge, folder) as sinks:
            return await run_digests(
                store,
                knowledge,
                sinks,
                config,
                SystemClock(),
                provider_id=args.provider,
                due_only=args.due_only,
                progress=ProgressBar(sys.stderr),
                dry_run=folder is not None,
            )
    finally:
        await store.close()


@asynccontextmanager
async def open_sinks(
    config: Config, knowledge: Knowledge, dry_run: Path | None = None
) -> AsyncIterator[list[DigestSink]]:
    """Yields the sinks to deliver through: .eml files for a dry run, else email and (if used) Telegram."""
    if dry_run is not None:
        yield [EmlSink(dry_run, config.digest.from_address)]
        return
    sinks: list[DigestSink] = [SmtpSink(config.digest)]
    if not any(p.digest.telegram_chat_id is not None for p in knowledge.providers.values()):
        yield sinks
        return
    token = config.telegram.token
    if token is None:
        yield [*sinks, TelegramDigestSink(UnavailableSender("TELEGRAM_BOT_TOKEN is not set"))]
        return
    # Loaded only when a provider uses Telegram, so email-only runs never import python-telegram-bot.
    from bot.channels.telegram_sender import open_telegram_sender

    async with open_telegram_sender(token, config.telegram.api_base_url or None) as sender:
        yield [*sinks, TelegramDigestSink(sender)]


async def digest_job(app: App, clock: Clock) -> None:
    """Sends the digests that are due and re-sends failed ones; for the running bot's scheduler."""
    if _RUNNING.locked():
        log.info("digest run skipped: the previous one is still going")
        return
    async with _RUNNING:
        knowledge = app.content.current.knowledge
        async with open_sinks(app.config, knowledge) as sinks:
            report = await run_digests(app.store, knowledge, sinks, app.config, clock, due_only=True)
    tz = ZoneInfo(app.config.timezone)
    for provider, line in zip(report.providers, report_lines(knowledge, report, tz), strict=True):
        level = logging.WARNING if provider.outcome in _LOGGED_AS_PROBLEM else logging.INFO
        if provider.outcome is not Outcome.NOTHING:
            log.log(level, "%s", line)


_LOGGED_AS_PROBLEM = frozenset(
    {Outcome.FAILED, Outcome.UNKNOWN_PROVIDER, Outcome.NO_CHANNEL, Outcome.PLACEHOLDER}
)


def report_lines(
    knowledge: Knowledge, report: DigestRunReport, tz: ZoneInfo, folder: Path | None = None
) -> list[str]:
    """Returns one line for each provider in the run, as staff read it."""
    return [_line(knowledge, provider, tz, folder) for provider in report.providers]


def _line(knowledge: Knowledge, p: ProviderReport, tz: ZoneInfo, folder: Path | None) -> str:
    def say(key: str, **params: object) -> str:
        return message(knowledge, f"digest.{key}", **params)

    def when(at: datetime | None) -> str:
        return "" if at is None else format_local_time(knowledge, at, tz)

    parts: list[str] = []
    if p.delivered:
        kind = "run_previewed" if folder is not None else "run_sent"
        key = f"{kind}_one" if p.delivered == 1 else f"{kind}_many"
        parts.append(say(key, count=p.delivered, digests=", ".join(p.digest_ids), folder=folder))
    problem = _PROBLEM_KEYS.get(p.outcome)
    if problem in _COUNTED:
        problem = f"{problem}_one" if p.held == 1 else f"{problem}_many"
    if problem is not None:
        parts.append(say(problem, count=p.held, reason=p.error, time=when(p.retry_at or p.due_at)))
    elif not parts:
        parts.append(say("run_nothing"))
    return say("run_line", provider=p.provider_name, outcome="; ".join(parts))


_PROBLEM_KEYS = {
    Outcome.FAILED: "run_failed",
    Outcome.WAITING: "run_waiting",
    Outcome.UNKNOWN_PROVIDER: "run_unknown_provider",
    Outcome.NO_CHANNEL: "run_no_channel",
    Outcome.PLACEHOLDER: "run_placeholder",
    Outcome.NOT_DUE: "run_not_due",
}
_COUNTED = frozenset({"run_unknown_provider", "run_no_channel", "run_placeholder", "run_not_due"})


class ProgressBar:
    """A one-line progress bar on a terminal; silent off a terminal or when there is only one step."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._shown = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        """Redraws the bar at done of total, and clears it at the end."""
        if not self._shown or total < 2:
            return
        filled = self.WIDTH * done // total
        self._stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}")
        if done >= total:
            self._stream.write("\r" + " " * (self.WIDTH + 3 + 2 * len(str(total))) + "\r")
        self._stream.flush()
