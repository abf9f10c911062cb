"""Staff commands: /reload the knowledge, /stats for today and the week, /unanswered questions."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.journey import Context, Outcome
from bot.core.session import Session
from bot.core.types import Reply, Status
from bot.errors import KnowledgeError, Problem
from bot.reports.records import last_days
from bot.reports.similarity import group_similar, unanswered_texts
from bot.reports.stats import PeriodStats, period_stats
from bot.storage.base import TurnRecord
from handlers.start import main_menu

log = logging.getLogger(__name__)

MAX_PROBLEMS = 20  # lines of a failed reload shown in the chat; the checker lists them all
UNANSWERED_DAYS = 30
TOP_UNANSWERED = 10
WEEK_DAYS = 7


class AdminJourney:
    """Answers staff commands for admins; to anyone else the commands do not exist."""

    name = "admin"
    commands = frozenset({"reload", "stats", "unanswered"})

    async def on_command(self, ctx: Context, command: str, args: str, session: Session) -> Outcome:
        """Runs a staff command for an admin, or shows anyone else the menu."""
        if not ctx.is_admin:
            log.warning("staff command /%s refused for %s user %s", command, ctx.channel, ctx.user_id)
            return _menu(ctx, session)
        if command == "reload":
            return Outcome((await _reload(ctx),), session)
        if command == "stats":
            return Outcome((await _stats(ctx),), session)
        return Outcome((await _unanswered(ctx),), session)

    async def on_button(self, ctx: Context, action: str, session: Session) -> Outcome:
        """Has no buttons; shows the menu."""
        return _menu(ctx, session)

    async def on_text(self, ctx: Context, text: str, session: Session) -> Outcome:
        """Never waits for text; shows the menu."""
        return _menu(ctx, session)


def _menu(ctx: Context, session: Session) -> Outcome:
    return Outcome((ctx.reply("core.menu", Status.MENU, main_menu(ctx)),), session)


async def _reload(ctx: Context) -> Reply:
    if ctx.reload_content is None:
        return ctx.reply("admin.reload_unavailable", Status.INFO)
    try:
        version = await ctx.reload_content()
    except KnowledgeError as exc:
        problems = problem_lines(ctx, exc.problems)
        version = ctx.content.knowledge.version
        return ctx.reply("admin.reload_failed", Status.ERROR, version=version, problems=problems)
    return ctx.reply("admin.reloaded", Status.INFO, version=version)


def problem_lines(ctx: Context, problems: tuple[Problem, ...]) -> str:
    """Lists the errors of a failed reload (warnings only if there are no errors), cut to MAX_PROBLEMS."""
    shown = [p for p in problems if p.severity == "error"] or list(problems)
    lines = [str(problem) for problem in shown[:MAX_PROBLEMS]]
    if len(shown) > MAX_PROBLEMS:
        lines.append(ctx.say("admin.reload_more", count=len(shown) - MAX_PROBLEMS))
    return "\n".join(lines)


async def _stats(ctx: Context) -> Reply:
    zone = ZoneInfo(ctx.config.timezone)
    now = ctx.clock.now()
    periods = []
    for days in (1, WEEK_DAYS):
        start, end = last_days(now, zone, days)
        turns = _visitors(ctx, await ctx.store.turns_between(start, end))
        referrals = [
            r
            for r in await ctx.store.referrals_between(start, end)
            if not ctx.config.admins.is_admin(r.channel, r.user_id)
        ]
        periods.append(_period(ctx, _label(ctx, start, end, zone), period_stats(turns, referrals)))
    return ctx.reply("admin.stats", Status.INFO, zone=ctx.config.timezone, today=periods[0], week=periods[1])


def _visitors(ctx: Context, turns: Iterable[TurnRecord]) -> list[TurnRecord]:
    """Leaves out the turns of staff, so testing the bot does not count as use."""
    return [t for t in turns if not ctx.config.admins.is_admin(t.channel, t.user_id)]


def _label(ctx: Context, start: datetime, end: datetime, zone: ZoneInfo) -> str:
    first, last = start.astimezone(zone).date(), (end - timedelta(seconds=1)).astimezone(zone).date()
    if first == last:
        return ctx.say("admin.stats_today", date=_day(first))
    return ctx.say("admin.stats_week", start=_day(first), end=_day(last))


def _day(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def _period(ctx: Context, label: str, stats: PeriodStats) -> str:
    return ctx.say(
        "admin.stats_period",
        label=label,
        people=stats.people,
        questions=stats.questions,
        answered_rate=f"{stats.answered_rate:.0%}",
        shortlists=stats.shortlists,
        referrals=_referrals(ctx, stats.referrals_by_provider),
    )


def _referrals(ctx: Context, by_provider: tuple[tuple[str, int], ...]) -> str:
    total = sum(count for _, count in by_provider)
    if not total:
        return "0"
    providers = ctx.content.knowledge.providers
    names = [
        ctx.say("admin.stats_provider", provider=providers[p].name if p in providers else p, count=count)
        for p, count in by_provider
    ]
    return ctx.say("admin.stats_referrals", total=total, providers="; ".join(names))


async def _unanswered(ctx: Context) -> Reply:
    now = ctx.clock.now()
    turns = await ctx.store.turns_between(now - timedelta(days=UNANSWERED_DAYS), now + timedelta(seconds=1))
    texts = unanswered_texts(_visitors(ctx, turns))
    groups = group_similar(texts, ctx.content.knowledge.stop_words)[:TOP_UNANSWERED]
    if not groups:
        return ctx.reply("admin.unanswered_none", Status.INFO, days=UNANSWERED_DAYS)
    lines = [ctx.say("admin.unanswered_line", count=g.count, example=g.example) for g in groups]
    return ctx.reply("admin.unanswered", Status.INFO, days=UNANSWERED_DAYS, groups="\n".join(lines))
