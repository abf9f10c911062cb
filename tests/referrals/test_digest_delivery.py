"""Digest runs against a real SMTP server and a real SQLite file: delivery, retries, crashes and erasure."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.commands.digest import report_lines
from bot.config import Config
from bot.core.clock import FixedClock
from bot.errors import DeliveryError
from bot.knowledge.model import Knowledge, Provider
from bot.referrals.delivery import DigestSink, SmtpSink
from bot.referrals.digest import Digest
from bot.referrals.ledger import DigestRunReport, Outcome, ProviderReport, run_digests
from bot.referrals.model import ReferralStatus
from bot.storage.base import Store
from bot.storage.sqlite import SqliteStore
from tests.ports import free_port

from .conftest import NORTH, NOW, SOUTH, digest_settings, referral, smtp_config
from .mailbox import Mailbox


async def run(
    store: Store,
    knowledge: Knowledge,
    config: Config,
    at: datetime,
    sinks: Sequence[DigestSink] = (),
    **kw: Any,
) -> DigestRunReport:
    """One digest run at a fixed time, by email unless other sinks are given."""
    chosen = list(sinks) or [SmtpSink(config.digest)]
    return await run_digests(store, knowledge, chosen, config, FixedClock(at), **kw)


def outcome(report: DigestRunReport, provider_id: str) -> ProviderReport:
    return next(p for p in report.providers if p.provider_id == provider_id)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def csv_names(message: EmailMessage) -> list[str]:
    """The names in the CSV attached to an email, read back from the received bytes."""
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    raw = attachment.get_payload(decode=True)
    assert isinstance(raw, bytes)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    return [row[0] for row in rows[1:]]


async def add(store: Store, *numbers: int, provider_id: str = NORTH, **fields: Any) -> None:
    for n in numbers:
        await store.add_referral(referral(n, provider_id, **fields))


async def statuses(store: Store, *numbers: int) -> list[ReferralStatus]:
    found = await store.referrals_by_id([f"ref-{n}" for n in numbers])
    return [r.status for r in found]


async def test_each_provider_gets_one_email_with_only_its_people(
    db: SqliteStore, knowledge: Knowledge, mail_config: Config, mailbox: Mailbox
) -> None:
    await add(db, 1, 2)
    await add(db, 3, provider_id=SOUTH)
    report = await run(db, knowledge, mail_config, NOW)

    (north,) = mailbox.to("north@provider.test")
    (south,) = mailbox.to("south@provider.test")
    assert len(mailbox.messages) == 2
    assert mailbox.to("admissions@provider.test") == [south]
    assert csv_names(north) == ["Person 1 Example", "Person 2 Example"]
    assert csv_names(south) == ["Person 3 Example"]
    assert "Person 3 Example" not in text_of(north)
    assert "Person 1 Example" not in text_of(south)
    html = north.get_body(preferencelist=("html",))
    assert html is not None
    assert "Person 1 Example" in str(html.get_content())
    assert north["From"] == mail_config.digest.from_address
    assert outcome(report, NORTH).outcome is Outcome.SENT
    assert outcome(report, NORTH).delivered == 2
    (digest_id,) = outcome(report, NORTH).digest_ids
    assert north["Subject"].endswith(f"[digest {digest_id}]")
    assert north["Message-ID"].startswith(f"<{digest_id}@")
    assert not report.failed
    sent = await db.referrals_by_id(["ref-1", "ref-2"])
    assert {(r.status, r.digest_id) for r in sent} == {(ReferralStatus.SENT, digest_id)}
    assert await db.last_digest_at(NORTH) == NOW


async def test_a_second_run_sends_nothing_new(
    db: SqliteStore, knowledge: Knowledge, mail_config: Config, mailbox: Mailbox
) -> None:
    await add(db, 1, 2)
    await run(db, knowledge, mail_config, NOW)
    again = await run(db, knowledge, mail_config, NOW + timedelta(hours=1))
    assert len(mailbox.messages) == 1
    assert {p.outcome for p in again.providers} == {Outcome.NOTHING}
    await add(db, 3)
    third = await run(db, knowledge, mail_config, NOW + timedelta(hours=2))
    assert len(mailbox.messages) == 2
    assert csv_names(mailbox.messages[1]) == ["Person 3 Example"]
    assert outcome(third, NORTH).delivered == 1


async def test_server_down_then_up_loses_nothing_and_doubles_nothing(
    db: SqliteStore, knowledge: Knowledge, config: Config, mail_config: Config, mailbox: Mailbox
) -> None:
    down = smtp_config(config, free_port())
    await add(db, 1, 2)
    failed = await run(db, knowledge, down, NOW)
    north = outcome(failed, NORTH)
    assert north.outcome is Outcome.FAILED
    assert north.retry_at == NOW + timedelta(minutes=config.digest.retry_minutes[0])
    assert north.held == 2
    assert failed.failed
    (record,) = await db.unfinished_digests(NORTH)
    assert (record.attempts, record.referral_ids) == (1, ("ref-1", "ref-2"))
    assert await statuses(db, 1, 2) == [ReferralStatus.PENDING] * 2

    await add(db, 3)  # arrives during the outage
    early = await run(db, knowledge, mail_config, NOW + timedelta(minutes=1))
    assert outcome(early, NORTH).outcome is Outcome.WAITING
    assert outcome(early, NORTH).held == 3
    assert mailbox.messages == []

    later = await run(db, knowledge, mail_config, north.retry_at + timedelta(seconds=1))
    assert outcome(later, NORTH).outcome is Outcome.SENT
    assert outcome(later, NORTH).digest_ids[0] == record.digest_id
    first, second = mailbox.messages
    assert first["Message-ID"].startswith(f"<{record.digest_id}@")
    assert csv_names(first) == ["Person 1 Example", "Person 2 Example"]
    assert csv_names(second) == ["Person 3 Example"]
    assert await statuses(db, 1, 2, 3) == [ReferralStatus.SENT] * 3
    assert await db.unfinished_digests() == []
    await run(db, knowledge, mail_config, NOW + timedelta(days=1))
    assert len(mailbox.messages) == 2


async def test_a_temporary_refusal_is_retried_once_the_back_off_has_passed(
    db: SqliteStore, knowledge: Knowledge, mail_config: Config, mailbox: Mailbox
) -> None:
    await add(db, 1)
    await add(db, 2, provider_id=SOUTH)
    mailbox.refuse_next.append("451 4.3.0 Try again later")
    first = await run(db, knowledge, mail_config, NOW)
    assert outcome(first, NORTH).outcome is Outcome.FAILED
    assert "451" in (outcome(first, NORTH).error or "")
    assert outcome(first, SOUTH).outcome is Outcome.SENT
    assert mailbox.refused == 1

    retry_at = outcome(first, NORTH).retry_at
    assert retry_at is not None
    await run(db, knowledge, mail_config, retry_at)
    assert [csv_names(m) for m in mailbox.messages] == [["Person 2 Example"], ["Person 1 Example"]]
    await run(db, knowledge, mail_config, retry_at + timedelta(hours=1))
    assert len(mailbox.messages) == 2


async def test_back_off_follows_the_configured_minutes_and_repeats_the_last(
    db: SqliteStore, knowledge: Knowledge, config: Config
) -> None:
    down = smtp_config(config, free_port())
    await add(db, 1)
    at, waits = NOW, []
    for _ in range(len(config.digest.retry_minutes) + 2):
        report = await run(db, knowledge, down, at, provider_id=NORTH)
        retry_at = outcome(report, NORTH).retry_at
        assert retry_at is not None
        waits.append(int((retry_at - at).total_seconds() // 60))
        at = retry_at
    minutes = list(config.digest.retry_minutes)
    assert waits == [*minutes, minutes[-1], minutes[-1]]
    (record,) = await db.unfinished_digests()
    assert record.attempts == len(waits)


class CrashBeforeFinish(SqliteStore):
    """A store whose process dies right after the provider has the digest, before the ledger says so."""

    async def finish_digest(self, digest_id: str, at: datetime) -> None:
        raise KeyboardInterrupt


async def test_a_crash_between_delivery_and_finish_resends_the_same_digest(
    tmp_path: Path, knowledge: Knowledge, mail_config: Config, mailbox: Mailbox
) -> None:
    path = tmp_path / "crash.sqlite3"
    crashing = CrashBeforeFinish(path)
    await crashing.open()
    await add(crashing, 1, 2)
    with pytest.raises(KeyboardInterrupt):
        await run(crashing, knowledge, mail_config, NOW)
    await crashing.close()
    assert len(mailbox.messages) == 1

    restarted = SqliteStore(path)
    await restarted.open()
    try:
        report = await run(restarted, knowledge, mail_config, NOW + timedelta(minutes=1))
        first, second = mailbox.messages
        assert first["Message-ID"] == second["Message-ID"]
        assert first["Subject"] == second["Subject"]
        (digest_id,) = outcome(report, NORTH).digest_ids
        assert f"[digest {digest_id}]" in second["Subject"]
        assert await statuses(restarted, 1, 2) == [ReferralStatus.SENT] * 2
        await run(restarted, knowledge, mail_config, NOW + timedelta(minutes=2))
        assert len(mailbox.messages) == 2
    finally:
        await restarted.close()


class DeliversThenFails:
    """A sink that hands the digest over by email and then reports a failure, as a lost reply would."""

    def __init__(self, inner: SmtpSink) -> None:
        self.inner = inner
        self.calls = 0

    def accepts(self, provider: Provider) -> bool:
        return self.inner.accepts(provider)

    async def deliver(self, provider: Provider, digest: Digest) -> None:
        await self.inner.deliver(provider, digest)
        self.calls += 1
        if self.calls == 1:
            raise DeliveryError("the connection dropped before the server's reply")


async def test_a_lost_reply_resends_under_the_same_message_id(
    db: SqliteStore, knowledge: Knowledge, mail_config: Config, mailbox: Mailbox
) -> None:
    await add(db, 1)
    sink = DeliversThenFails(SmtpSink(mail_config.digest))
    first = await run(db, knowledge, mail_config, NOW, [sink])
    retry_at = outcome(first, NORTH).retry_at
    assert retry_at is not None
    await run(db, knowledge, mail_config, retry_at, [sink])
    assert len(mailbox.messages) == 2
    assert len({m["Message-ID"] for m in mailbox.messages}) == 1
    assert await statuses(db, 1) == [ReferralStatus.SENT]


async def test_withdrawn_and_erased_people_are_never_sent(
    db: SqliteStore, knowledge: Knowledge, mail_config: Config, mailbox: Mailbox
) -> None:
    await add(db, 1, 2, 3)
    assert await db.withdraw_referral("ref-2", "telegram", "user-2")
    await db.erase_person("telegram", "user-3")
    report = await run(db, knowledge, mail_config, NOW)
    (message,) = mailbox.messages
    assert csv_names(message) == ["Person 1 Example"]
    assert "Person 2 Example" not in text_of(message)
    assert "Person 3 Example" not in text_of(message)
    assert outcome(report, NORTH).delivered == 1


async def test_people_who_leave_while_a_digest_waits_to_be_resent_are_left_out(
    db: SqliteStore, knowledge: Knowledge, config: Config, mail_config: Config, mailbox: Mailbox
) -> None:
    await add(db, 1, 2, 3)
    failed = await run(db, knowledge, smtp_config(config, free_port()), NOW)
    (record,) = await db.unfinished_digests()
    assert await db.withdraw_referral("ref-2", "telegram", "user-2")
    await db.erase_person("telegram", "user-3")
    retry_at = outcome(failed, NORTH).retry_at
    assert retry_at is not None
    await run(db, knowledge, mail_config, retry_at)
    (message,) = mailbox.messages
    assert csv_names(message) == ["Person 1 Example"]
    assert message["Message-ID"].startswith(f"<{record.digest_id}@")
    assert await statuses(db, 1, 2) == [ReferralStatus.SENT, ReferralStatus.WITHDRAWN]


async def test_a_digest_everyone_left_is_closed_without_sending(
    db: SqliteStore, knowledge: Knowledge, config: Config, mail_config: Config, mailbox: Mailbox
) -> None:
    await add(db, 1)
    failed = await run(db, knowledge, smtp_config(config, free_port()), NOW)
    await db.erase_person("telegram", "user-1")
    retry_at = outcome(failed, NORTH).retry_at
    assert retry_at is not None
    report = await run(db, knowledge, mail_config, retry_at)
    assert mailbox.messages == []
    assert await db.unfinished_digests() == []
    assert outcome(report, NORTH).outcome is Outcome.NOTHING


async def test_referrals_to_a_provider_no_longer_listed_stay_pending_and_are_reported(
    db: SqliteStore, knowledge: Knowledge, mail_config: Config, mailbox: Mailbox
) -> None:
    await add(db, 1, provider_id="closed-scitt")
    report = await run(db, knowledge, mail_config, NOW)
    gone = outcome(report, "closed-scitt")
    assert (gone.outcome, gone.held) == (Outcome.UNKNOWN_PROVIDER, 1)
    assert report.failed
    assert mailbox.messages == []
    assert await statuses(db, 1) == [ReferralStatus.PENDING]


async def test_one_provider_can_be_sent_on_its_own(
    db: SqliteStore, knowledge: Knowledge, mail_config: Config, mailbox: Mailbox
) -> None:
    await add(db, 1)
    await add(db, 2, provider_id=SOUTH)
    report = await run(db, knowledge, mail_config, NOW, provider_id=SOUTH)
    assert [p.provider_id for p in report.providers] == [SOUTH]
    assert [csv_names(m) for m in mailbox.messages] == [["Person 2 Example"]]
    assert await statuses(db, 1) == [ReferralStatus.PENDING]


async def test_placeholder_addresses_are_never_mailed_and_the_run_says_so(
    db: SqliteStore, knowledge: Knowledge, mail_config: Config, mailbox: Mailbox
) -> None:
    north = replace(knowledge.providers[NORTH], digest=digest_settings(emails=("north@provider.example",)))
    south = knowledge.providers[SOUTH]
    south = replace(
        south, digest=replace(south.digest, emails=("admissions@provider.example", "south@provider.test"))
    )
    placeholders = replace(knowledge, providers={**knowledge.providers, NORTH: north, SOUTH: south})
    await add(db, 1, 2)
    await add(db, 3, provider_id=SOUTH)
    report = await run(db, placeholders, mail_config, NOW)
    held = outcome(report, NORTH)
    assert (held.outcome, held.held) == (Outcome.PLACEHOLDER, 2)
    assert report.failed
    assert await statuses(db, 1, 2) == [ReferralStatus.PENDING, ReferralStatus.PENDING]
    [sent] = mailbox.messages
    assert sent["To"] == "south@provider.test"
    assert mailbox.recipients == [["south@provider.test"]]
    [line] = [
        line for line in report_lines(placeholders, report, ZoneInfo("Europe/London")) if "North" in line
    ]
    assert ".example" in line and "2 referrals" in line
