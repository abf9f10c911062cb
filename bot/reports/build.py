"""The whole report for a period, computed from the stored records in one pass."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.reports.funnel import FunnelRow, funnel_by_campaign, funnel_by_week, funnel_total
from bot.reports.providers import ProviderCount, provider_counts
from bot.reports.quality import EntryFeedback, TopicQuality, entry_feedback, entry_topics, topic_quality
from bot.reports.records import Records
from bot.reports.similarity import QuestionGroup, group_similar, unanswered_texts

TOP_UNANSWERED = 50


@dataclass(frozen=True, slots=True)
class Report:
    """Every table of the report, ready to be written."""

    since: datetime
    until: datetime
    zone: str
    total: FunnelRow
    campaigns: tuple[FunnelRow, ...]
    weeks: tuple[FunnelRow, ...]
    topics: tuple[TopicQuality, ...]
    feedback: tuple[EntryFeedback, ...]
    unanswered: tuple[QuestionGroup, ...]
    providers: tuple[ProviderCount, ...]


def build_report(
    records: Records, since: datetime, until: datetime, zone: str, stop_words: Collection[str] = ()
) -> Report:
    """Computes the funnel, weekly trend, answer quality, unanswered questions and referrals."""
    return Report(
        since=since,
        until=until,
        zone=zone,
        total=funnel_total(records),
        campaigns=tuple(funnel_by_campaign(records)),
        weeks=tuple(funnel_by_week(records, ZoneInfo(zone))),
        topics=tuple(topic_quality(records.turns)),
        feedback=tuple(entry_feedback(records.feedback, entry_topics(records.turns))),
        unanswered=tuple(group_similar(unanswered_texts(records.turns), stop_words)[:TOP_UNANSWERED]),
        providers=tuple(provider_counts(records.referrals)),
    )


def without(records: Records, skip: Callable[[str, str], bool]) -> Records:
    """Returns the records without those of the people skip picks out (staff, say)."""
    return replace(
        records,
        sessions=[s for s in records.sessions if not skip(s.channel, s.user_id)],
        turns=[t for t in records.turns if not skip(t.channel, t.user_id)],
        referrals=[r for r in records.referrals if not skip(r.channel, r.user_id)],
        feedback=[f for f in records.feedback if not skip(f.channel, f.user_id)],
    )
