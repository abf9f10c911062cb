"""`careers-bot report`: writes the staff report (Markdown, CSV files and charts) from the database."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.commands.database import open_existing
from bot.config import Config
from bot.core.clock import Clock, SystemClock
from bot.errors import ConfigError
from bot.knowledge.model import Knowledge
from bot.knowledge.values import message
from bot.reports.build import build_report, without
from bot.reports.records import Records, local_midnight
from bot.reports.writing import write_report
from bot.storage.base import Store

EVERYTHING = datetime(2000, 1, 1, tzinfo=UTC)  # before any record could have been made


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the report subcommand."""
    parser = subparsers.add_parser(
        "report",
        help="write the staff report: funnel, answer quality, unanswered questions, referrals",
        description="Writes report.md, CSV files and two PNG charts into a folder.",
    )
    parser.add_argument(
        "--since", type=date.fromisoformat, default=None, metavar="DATE", help="first day, as 2026-09-01"
    )
    parser.add_argument("--out", type=Path, default=Path("report"), metavar="DIR", help="folder to write to")
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH|URL",
        help="database file or postgresql:// URL (default: config.yaml)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Writes the report and prints where; returns 1 when there is no database."""
    if args.out.exists() and not args.out.is_dir():
        raise ConfigError(f"--out {args.out} is a file; give a folder for the report")
    setting = open_existing(args)
    if setting is None:
        return 1
    config, knowledge = setting.config, setting.knowledge
    written = asyncio.run(make_report(config, knowledge, setting.store, args.since, args.out))
    files = ", ".join(path.name for path in written)
    print(message(knowledge, "admin.report_written", folder=args.out, files=files))
    return 0


async def make_report(
    config: Config,
    knowledge: Knowledge,
    store: Store,
    since: date | None,
    folder: Path,
    clock: Clock | None = None,
) -> list[Path]:
    """Opens the store, reads the period's records, closes it, writes the report; returns the files."""
    start = EVERYTHING if since is None else local_midnight(since, ZoneInfo(config.timezone))
    end = (clock or SystemClock()).now()
    await store.open()
    try:
        records = await read_records(store, start, end)
    finally:
        await store.close()
    records = without(records, config.admins.is_admin)
    first = min(_instants(records), default=end) if since is None else start
    report = build_report(records, first, end, config.timezone, knowledge.stop_words)
    names = {provider.id: provider.name for provider in knowledge.providers.values()}

    def say(key: str, **params: object) -> str:
        return message(knowledge, key, **params)

    return await asyncio.to_thread(write_report, report, folder, say, config.branding_name, names)


async def read_records(store: Store, start: datetime, end: datetime) -> Records:
    """Returns every session, turn, referral and feedback record within [start, end)."""
    return Records(
        sessions=await store.sessions_between(start, end),
        turns=await store.turns_between(start, end),
        referrals=await store.referrals_between(start, end),
        feedback=await store.feedback_between(start, end),
    )


def _instants(records: Records) -> list[datetime]:
    return [*(s.created_at for s in records.sessions), *(t.at for t in records.turns)]
