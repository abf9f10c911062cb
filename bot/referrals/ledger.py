"""The digest run: which providers are due, the ledger of digests started and finished, and retries.

Every digest is recorded (start_digest) before it is delivered and marked finished after, so a failure
or a crash in between leaves it unfinished; the next run re-sends it under the same id. Under normal
operation each referral therefore reaches its provider once, and never less than once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.core.clock import Clock
from bot.errors import AlreadyClaimed, DeliveryError
from bot.knowledge.entries import WEEKDAYS
from bot.knowledge.model import DigestSettings, Knowledge, Provider
from bot.referrals.delivery import DigestSink
from bot.referrals.digest import Digest, build_digest
from bot.referrals.model import Referral, ReferralStatus
from bot.storage.base import DigestRecord, Store

__all__ = [
    "DigestRunReport",
    "Outcome",
    "ProviderReport",
    "is_due",
    "latest_slot",
    "new_digest_id",
    "run_digests",
]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


class Outcome(StrEnum):
    """What happened to one provider in a run."""

    SENT = "sent"
    PREVIEWED = "previewed"
    NOTHING = "nothing_pending"
    NOT_DUE = "not_due"
    FAILED = "failed"
    WAITING = "waiting_to_retry"
    UNKNOWN_PROVIDER = "unknown_provider"
    NO_CHANNEL = "no_channel"
    PLACEHOLDER = "placeholder_address"  # only .example addresses, which are never mailed


# Outcomes that leave referrals undelivered until someone or something acts.
PROBLEMS = frozenset(
    {Outcome.FAILED, Outcome.WAITING, Outcome.UNKNOWN_PROVIDER, Outcome.NO_CHANNEL, Outcome.PLACEHOLDER}
)


@dataclass(frozen=True, slots=True)
class ProviderReport:
    """One provider's part of a run: what was delivered, and what is still held back and why."""

    provider_id: str
    provider_name: str
    outcome: Outcome
    delivered: int = 0
    digest_ids: tuple[str, ...] = ()
    held: int = 0
    error: str | None = None
    retry_at: datetime | None = None
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DigestRunReport:
    """Everything one run did, provider by provider."""

    providers: tuple[ProviderReport, ...]

    @property
    def failed(self) -> bool:
        """Whether any referral is held back by a failed delivery or a provider that cannot be reached."""
        return any(p.outcome in PROBLEMS for p in self.providers)

    @property
    def delivered(self) -> int:
        """How many referrals were delivered (or previewed) in the run."""
        return sum(p.delivered for p in self.providers)


async def run_digests(
    store: Store,
    knowledge: Knowledge,
    sinks: Sequence[DigestSink],
    config: Config,
    clock: Clock,
    provider_id: str | None = None,
    due_only: bool = False,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> DigestRunReport:
    """Re-sends unfinished digests, then sends each provider its pending referrals (dry run: no ledger)."""
    run = _Run(store, knowledge, sinks, config, clock, due_only=due_only, dry_run=dry_run)
    pending = await store.pending_referrals(provider_id)
    unfinished = await store.unfinished_digests(provider_id)
    ids = _provider_ids(knowledge, pending, unfinished, provider_id)
    reports: list[ProviderReport] = []
    for done, pid in enumerate(ids, start=1):
        mine = [r for r in pending if r.provider_id == pid]
        reports.append(await run.provider(pid, mine, [d for d in unfinished if d.provider_id == pid]))
        if progress is not None:
            progress(done, len(ids))
    return DigestRunReport(tuple(reports))


def _provider_ids(
    knowledge: Knowledge,
    pending: Sequence[Referral],
    unfinished: Sequence[DigestRecord],
    provider_id: str | None,
) -> list[str]:
    if provider_id is not None:
        return [provider_id]
    return sorted(
        {*knowledge.providers, *(r.provider_id for r in pending), *(d.provider_id for d in unfinished)}
    )


def new_digest_id(at: datetime) -> str:
    """Returns a fresh digest id, e.g. "dg-20261123-0900-3f9a1c": readable, sortable and unique."""
    return f"dg-{at.astimezone(UTC):%Y%m%d-%H%M}-{secrets.token_hex(3)}"


def latest_slot(settings: DigestSettings, now: datetime, tz: tzinfo) -> datetime:
    """Returns the most recent scheduled digest time at or before now (daily, or weekly on its weekday)."""
    local = now.astimezone(tz)
    hour, minute = (int(part) for part in settings.time.split(":"))
    slot = datetime.combine(local.date(), time(hour, minute), tzinfo=tz)
    if settings.frequency == "weekly" and settings.weekday in WEEKDAYS:
        slot -= timedelta(days=(slot.weekday() - WEEKDAYS.index(settings.weekday)) % 7)
    if slot > now:
        slot -= timedelta(days=_period_days(settings))
    return slot


def next_slot(settings: DigestSettings, now: datetime, tz: tzinfo) -> datetime:
    """Returns the first scheduled digest time after now."""
    return latest_slot(settings, now, tz) + timedelta(days=_period_days(settings))


def is_due(settings: DigestSettings, since: datetime | None, now: datetime, tz: tzinfo) -> bool:
    """Tells whether a scheduled digest time has passed since `since` (the last digest); None: never sent."""
    return since is None or latest_slot(settings, now, tz) > since


def _period_days(settings: DigestSettings) -> int:
    return 7 if settings.frequency == "weekly" else 1


@dataclass
class _Tally:
    """What happened to one provider so far in this run."""

    delivered: int = 0
    digest_ids: list[str] = field(default_factory=list)
    held: int = 0
    blocked: bool = False
    failed: bool = False
    error: str | None = None
    retry_at: datetime | None = None
    due_at: datetime | None = None

    def hold(self, count: int, error: str | None, retry_at: datetime | None, failed: bool) -> None:
        self.held += count
        self.blocked = True
        self.failed = self.failed or failed
        self.error = self.error or error
        if retry_at is not None:
            self.retry_at = retry_at if self.retry_at is None else min(self.retry_at, retry_at)


class _Run:
    """One run over the providers, with the settings it was started with."""

    def __init__(
        self,
        store: Store,
        knowledge: Knowledge,
        sinks: Sequence[DigestSink],
        config: Config,
        clock: Clock,
        *,
        due_only: bool,
        dry_run: bool,
    ) -> None:
        self.store = store
        self.knowledge = knowledge
        self.sinks = sinks
        self.retry_minutes = config.digest.retry_minutes
        self.tz = ZoneInfo(config.timezone)
        self.clock = clock
        self.due_only = due_only
        self.dry_run = dry_run

    async def provider(
        self, provider_id: str, pending: Sequence[Referral], unfinished: Sequence[DigestRecord]
    ) -> ProviderReport:
        """Handles one provider: re-sends, then a new digest if one is due."""
        provider = self.knowledge.providers.get(provider_id)
        held = len(pending) + sum(len(d.referral_ids) for d in unfinished)
        if provider is None:
            log.info("%d referral(s) wait for provider %r, which is not in the knowledge", held, provider_id)
            outcome = Outcome.UNKNOWN_PROVIDER if held else Outcome.NOTHING
            return ProviderReport(provider_id, provider_id, outcome, held=held)
        sinks = [sink for sink in self.sinks if sink.accepts(provider)]
        if not sinks:
            unreachable = Outcome.PLACEHOLDER if provider.digest.emails else Outcome.NO_CHANNEL
            outcome = unreachable if held else Outcome.NOTHING
            return ProviderReport(provider.id, provider.name, outcome, held=held)
        tally = _Tally()
        for record in unfinished:
            await self._resend(provider, sinks, record, tally)
        if tally.blocked:
            # While an earlier digest is failing, a new one would fail too; the people wait together.
            tally.held += len(pending)
        elif pending:
            await self._send_pending(provider, sinks, pending, tally)
        return self._report(provider, tally)

    async def _resend(
        self, provider: Provider, sinks: Sequence[DigestSink], record: DigestRecord, tally: _Tally
    ) -> None:
        now = self.clock.now()
        if not self.dry_run and record.next_attempt_at is not None and record.next_attempt_at > now:
            tally.hold(len(record.referral_ids), record.last_error, record.next_attempt_at, failed=False)
            return
        found = await self.store.referrals_by_id(record.referral_ids)
        # Withdrawn and erased people are left out: only those still pending are sent.
        still = [r for r in found if r.status is ReferralStatus.PENDING]
        if not still:
            if not self.dry_run:
                await self.store.finish_digest(record.digest_id, now)
            log.info("digest %s closed with no one left to send", record.digest_id)
            return
        digest = build_digest(self.knowledge, provider, still, record.digest_id, record.started_at, self.tz)
        await self._deliver(provider, sinks, digest, record.attempts, tally)

    async def _send_pending(
        self, provider: Provider, sinks: Sequence[DigestSink], pending: Sequence[Referral], tally: _Tally
    ) -> None:
        now = self.clock.now()
        if self.due_only:
            since = await self.store.last_digest_at(provider.id) or min(r.consented_at for r in pending)
            if not is_due(provider.digest, since, now, self.tz):
                tally.held += len(pending)
                tally.due_at = next_slot(provider.digest, now, self.tz)
                return
        digest = build_digest(self.knowledge, provider, pending, new_digest_id(now), now, self.tz)
        if not self.dry_run:
            record = DigestRecord(
                digest.digest_id, provider.id, digest.referral_ids, now, None, 0, None, None
            )
            try:
                await self.store.start_digest(record)
            except AlreadyClaimed:
                # Another digest run (the bot's schedule, or cron) took these people first.
                log.info("digest for %s skipped: another run is sending these referrals", provider.id)
                return
        await self._deliver(provider, sinks, digest, 0, tally)

    async def _deliver(
        self, provider: Provider, sinks: Sequence[DigestSink], digest: Digest, attempts: int, tally: _Tally
    ) -> None:
        try:
            for sink in sinks:
                await sink.deliver(provider, digest)
        except Exception as exc:
            # Any sink failure, expected or not, must leave the digest unfinished for the next run.
            await self._failed(digest, attempts, exc, tally)
            return
        if not self.dry_run:
            await self.store.finish_digest(digest.digest_id, self.clock.now())
        tally.delivered += len(digest.referral_ids)
        tally.digest_ids.append(digest.digest_id)

    async def _failed(self, digest: Digest, attempts: int, exc: Exception, tally: _Tally) -> None:
        error = str(exc) or type(exc).__name__
        retry_at = self.clock.now() + timedelta(minutes=self._backoff(attempts))
        if not isinstance(exc, DeliveryError):
            log.error("digest %s: unexpected failure while delivering", digest.digest_id, exc_info=exc)
        log.info("digest %s not delivered (attempt %d): %s", digest.digest_id, attempts + 1, error)
        if not self.dry_run:
            await self.store.fail_digest(digest.digest_id, error, retry_at)
        tally.hold(len(digest.referral_ids), error, retry_at, failed=True)

    def _backoff(self, attempts: int) -> int:
        if not self.retry_minutes:
            return 0
        return self.retry_minutes[min(attempts, len(self.retry_minutes) - 1)]

    def _report(self, provider: Provider, tally: _Tally) -> ProviderReport:
        if tally.failed:
            outcome = Outcome.FAILED
        elif tally.blocked:
            outcome = Outcome.WAITING
        elif tally.delivered:
            outcome = Outcome.PREVIEWED if self.dry_run else Outcome.SENT
        elif tally.due_at is not None:
            outcome = Outcome.NOT_DUE
        else:
            outcome = Outcome.NOTHING
        return ProviderReport(
            provider_id=provider.id,
            provider_name=provider.name,
            outcome=outcome,
            delivered=tally.delivered,
            digest_ids=tuple(tally.digest_ids),
            held=tally.held,
            error=tally.error,
            retry_at=tally.retry_at,
            due_at=tally.due_at,
        )
