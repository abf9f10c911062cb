"""`careers-bot purge` and the daily purge: removing personal data older than the retention period."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.commands.database import open_existing
from bot.config import Config
from bot.core.clock import Clock, SystemClock
from bot.knowledge.values import message
from bot.referrals.delivery import remove_previews
from bot.referrals.model import ReferralStatus
from bot.storage.base import Store

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

EVERYTHING = datetime(2000, 1, 1, tzinfo=UTC)  # before any record could have been made


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    """What a purge removes: whole sessions and referrals, and the personal fields of turns and feedback."""

    sessions: int
    referrals: int
    turns: int
    feedback: int


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the purge subcommand."""
    parser = subparsers.add_parser(
        "purge",
        help="remove personal data older than the retention period",
        description="Removes personal data older than privacy.retention_days in config.yaml.",
    )
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH|URL",
        help="database file or postgresql:// URL (default: config.yaml)",
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would be removed; change nothing")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Purges (or, with --dry-run, counts) old personal data and prints what it did."""
    setting = open_existing(args)
    if setting is None:
        return 1
    config, knowledge, store = setting.config, setting.knowledge, setting.store
    counts, changed, previews = asyncio.run(purge(config, store, SystemClock(), dry_run=args.dry_run))
    key = "admin.purge_dry_run" if args.dry_run else "admin.purge_done"
    cutoff = cutoff_for(config, SystemClock()).date().isoformat()
    days = config.privacy.retention_days
    print(message(knowledge, key, cutoff=cutoff, days=days, changed=changed, **asdict(counts)))
    if previews:
        print(message(knowledge, "admin.purge_previews", count=previews, folder=config.digest.outbox_dir))
    return 0


def cutoff_for(config: Config, clock: Clock) -> datetime:
    """Returns the instant before which personal data is no longer kept."""
    return clock.now() - timedelta(days=config.privacy.retention_days)


async def purge(config: Config, store: Store, clock: Clock, dry_run: bool) -> tuple[PurgeCounts, int, int]:
    """Opens the store, counts what is past retention, removes it unless dry_run, and closes the store.

    Returns the counts, the rows changed and the digest previews deleted from digest.outbox_dir.
    """
    cutoff = cutoff_for(config, clock)
    await store.open()
    try:
        counts = await purgeable(store, cutoff)
        if dry_run:
            return counts, 0, 0
        changed = await store.purge_before(cutoff)
        previews = await remove_previews(config.digest.outbox_dir, store, cutoff)
    finally:
        await store.close()
    return counts, changed, previews


async def purgeable(store: Store, cutoff: datetime) -> PurgeCounts:
    """Counts the records purge_before(cutoff) would change, without changing them."""
    sessions = await store.sessions_between(EVERYTHING, cutoff)
    referrals = await store.referrals_between(EVERYTHING, cutoff)
    in_flight = {i for d in await store.unfinished_digests() for i in d.referral_ids}
    turns = await store.turns_between(EVERYTHING, cutoff)
    feedback = await store.feedback_between(EVERYTHING, cutoff)
    return PurgeCounts(
        sessions=sum(s.updated_at < cutoff for s in sessions),
        referrals=sum(not (r.status is ReferralStatus.PENDING and r.id in in_flight) for r in referrals),
        turns=sum(bool(t.text or t.user_id or t.payload is not None) for t in turns),
        feedback=sum(bool(f.user_id) for f in feedback),
    )


async def purge_job(app: App, clock: Clock) -> int:
    """Removes personal data past the retention period from the running bot's store; returns rows changed."""
    cutoff = cutoff_for(app.config, clock)
    changed = await app.store.purge_before(cutoff)
    previews = await remove_previews(app.config.digest.outbox_dir, app.store, cutoff)
    log.info(
        "purged personal data older than %s: %d rows changed, %d digest previews deleted",
        cutoff.date(),
        changed,
        previews,
    )
    return changed


def daily_purge(app: App, clock: Clock) -> Callable[[object], Awaitable[None]]:
    """Returns a scheduler callback (it ignores its one argument) that runs purge_job."""

    async def callback(_context: object) -> None:
        await purge_job(app, clock)

    return callback
