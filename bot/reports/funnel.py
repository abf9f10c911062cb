"""The funnel from a started conversation to a referral, by campaign source and by week."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.referrals.model import Referral
from bot.reports.records import (
    SHORTLIST_STATUS,
    Person,
    Records,
    has_status,
    is_question,
    iso_week,
    people,
    person,
)
from bot.storage.base import TurnRecord

STAGES = ("started", "asked", "answered", "shortlisted", "referred")
NO_CAMPAIGN = ""  # people who came without a campaign link


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """How many got to each stage, for one campaign or one week."""

    key: str
    started: int
    asked: int
    answered: int
    shortlisted: int
    referred: int

    def counts(self) -> tuple[int, ...]:
        """Returns the stage counts in STAGES order."""
        return tuple(astuple(self)[1:])


def campaigns(records: Records) -> dict[Person, str]:
    """Returns each person's campaign: their session's, else the last one their turns or referrals carry."""
    found: dict[Person, str] = {}
    for turn in records.turns:
        who = person(turn)
        if who is not None and turn.campaign:
            found[who] = turn.campaign
    for referral in records.referrals:
        if referral.user_id and referral.campaign:
            found.setdefault((referral.channel, referral.user_id), referral.campaign)
    for session in records.sessions:
        if session.campaign:
            found[(session.channel, session.user_id)] = session.campaign
    return found


def stage_people(records: Records) -> dict[str, set[Person]]:
    """Returns, for each stage after the start, the people who reached it."""
    turns = records.turns
    return {
        "asked": people(turns, is_question),
        "answered": people(turns, has_status("answered")),
        "shortlisted": people(turns, has_status(SHORTLIST_STATUS)),
        "referred": {(r.channel, r.user_id) for r in records.referrals if r.user_id},
    }


def funnel_total(records: Records) -> FunnelRow:
    """Counts the whole funnel over every campaign."""
    reached = stage_people(records)
    sizes = [len(reached[stage]) for stage in STAGES[1:]]
    return FunnelRow("", len(records.sessions), *sizes)


def funnel_by_campaign(records: Records) -> list[FunnelRow]:
    """Counts the funnel for each campaign source, busiest first (NO_CAMPAIGN: people who came direct)."""
    campaign_of = campaigns(records)
    started = Counter(session.campaign or NO_CAMPAIGN for session in records.sessions)
    reached = {
        stage: Counter(campaign_of.get(who, NO_CAMPAIGN) for who in group)
        for stage, group in stage_people(records).items()
    }
    keys = set(started).union(*reached.values())
    rows = [_row(key, started[key], {stage: count[key] for stage, count in reached.items()}) for key in keys]
    return sorted(rows, key=lambda row: (-row.started, -row.asked, row.key))


def funnel_by_week(records: Records, zone: ZoneInfo) -> list[FunnelRow]:
    """Counts the funnel for each local ISO week, oldest first, weeks without activity included as zeros."""
    started = Counter(iso_week(session.created_at, zone) for session in records.sessions)
    turns: dict[str, list[TurnRecord]] = defaultdict(list)
    referrals: dict[str, list[Referral]] = defaultdict(list)
    for turn in records.turns:
        turns[iso_week(turn.at, zone)].append(turn)
    for referral in records.referrals:
        referrals[iso_week(referral.consented_at, zone)].append(referral)
    rows = []
    for week in _weeks(_instants(records), zone):
        reached = stage_people(Records(turns=turns[week], referrals=referrals[week]))
        rows.append(_row(week, started[week], {stage: len(group) for stage, group in reached.items()}))
    return rows


def _row(key: str, started: int, reached: dict[str, int]) -> FunnelRow:
    return FunnelRow(key, started, *(reached.get(stage, 0) for stage in STAGES[1:]))


def _instants(records: Records) -> list[datetime]:
    return [
        *(s.created_at for s in records.sessions),
        *(t.at for t in records.turns),
        *(r.consented_at for r in records.referrals),
    ]


def _weeks(instants: Iterable[datetime], zone: ZoneInfo) -> list[str]:
    days = sorted(at.astimezone(zone).date() for at in instants)
    if not days:
        return []
    monday = days[0] - timedelta(days=days[0].weekday())
    weeks: list[str] = []
    while monday <= days[-1]:
        year, week, _ = monday.isocalendar()
        weeks.append(f"{year}-W{week:02d}")
        monday += timedelta(days=7)
    return weeks
