"""Writing a report to a folder: report.md for people, CSV files for spreadsheets, and two PNG charts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.reports.build import Report
from bot.reports.charts import funnel_chart, weekly_chart
from bot.reports.funnel import STAGES, FunnelRow
from bot.reports.providers import ProviderCount
from bot.reports.quality import TopicQuality
from bot.spreadsheet import Cell, write_rows

Row = tuple[Cell, ...]
OUTCOMES = ("questions", "answered", "suggested", "no_match", "out_of_scope")


class Wording(Protocol):
    """Renders a fixed sentence from the messages files (for example ctx.say)."""

    def __call__(self, key: str, **params: object) -> str:
        """Returns the message with its placeholders filled."""
        ...


def write_report(
    report: Report, folder: Path, say: Wording, name: str, providers: Mapping[str, str]
) -> list[Path]:
    """Writes every file of the report into folder (created if needed) and returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = _tables(report, providers)
    written = [_csv(folder / f"{stem}.csv", rows) for stem, rows in tables.items()]
    stages = [say(f"admin.stage_{stage}") for stage in STAGES]
    people = say("admin.chart_people")
    funnel_labels = (say("admin.chart_funnel_title"), say("admin.column_stage"), people)
    funnel_chart(report.total, stages, funnel_labels, folder / "funnel.png")
    weekly_labels = (say("admin.chart_weekly_title"), say("admin.column_week"), people)
    weekly_chart(report.weeks, stages, weekly_labels, folder / "weekly.png")
    markdown = folder / "report.md"
    markdown.write_text(_markdown(report, say, name, providers), encoding="utf-8")
    return [markdown, *written, folder / "funnel.png", folder / "weekly.png"]


def _tables(report: Report, providers: Mapping[str, str]) -> dict[str, list[Row]]:
    """Returns each CSV file's rows, header first; ids are kept as stored, an empty cell meaning none."""
    return {
        "funnel": [("campaign", *STAGES), *(_funnel(r, "") for r in report.campaigns)],
        "weekly": [("week", *STAGES), *(_funnel(r, "") for r in report.weeks)],
        "topics": _topic_rows(report),
        "feedback": [
            ("entry", "topic", "helpful", "not_helpful"),
            *((f.entry, f.topic, f.helpful, f.not_helpful) for f in report.feedback),
        ],
        "unanswered": [
            ("rank", "count", "wordings", "example"),
            *((n, g.count, g.variants, g.example) for n, g in enumerate(report.unanswered, start=1)),
        ],
        "providers": [
            ("provider_id", "provider", "referrals", "pending", "sent", "withdrawn"),
            *(_provider(p, providers, with_id=True) for p in report.providers),
        ],
    }


def _topic_rows(report: Report) -> list[Row]:
    """Returns topics.csv: each topic's outcomes, and the thumbs up and down on its answers."""
    helpful: Counter[str] = Counter()
    unhelpful: Counter[str] = Counter()
    for row in report.feedback:
        helpful[row.topic] += row.helpful
        unhelpful[row.topic] += row.not_helpful
    header = ("topic", *OUTCOMES, "answered_rate", "helpful", "not_helpful")
    rows: list[Row] = [header]
    for t in report.topics:
        rows.append((t.topic, *_outcomes(t), round(t.answered_rate, 3), helpful[t.topic], unhelpful[t.topic]))
    return rows


def _outcomes(topic: TopicQuality) -> tuple[int, ...]:
    return (topic.questions, topic.answered, topic.suggested, topic.no_match, topic.out_of_scope)


def _provider(count: ProviderCount, names: Mapping[str, str], with_id: bool) -> Row:
    name = names.get(count.provider_id, count.provider_id)
    row: Row = (name, count.referrals, count.pending, count.sent, count.withdrawn)
    return (count.provider_id, *row) if with_id else row


def _csv(path: Path, rows: Iterable[Row]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        write_rows(out, rows)
    return path


def _markdown(report: Report, say: Wording, name: str, providers: Mapping[str, str]) -> str:
    """Returns report.md: the period, then one section per table, then the charts."""
    zone = ZoneInfo(report.zone)
    since, until = _when(report.since, zone), _when(report.until, zone)
    period = say("admin.report_period", since=since, until=until, zone=report.zone)
    parts = [say("admin.report_title", name=name), period]
    parts += _funnel_sections(report, say)
    parts += _quality_sections(report, say)
    parts += _referral_sections(report, say, providers)
    parts += [say("admin.report_charts_heading"), "![](funnel.png)", "![](weekly.png)"]
    return "\n\n".join(parts) + "\n"


def _funnel_sections(report: Report, say: Wording) -> list[str]:
    stages = [say(f"admin.stage_{stage}") for stage in STAGES]
    total = _table(
        [say("admin.column_stage"), say("admin.column_number")],
        zip(stages, report.total.counts(), strict=True),
    )
    campaign = say("admin.column_campaign")
    no_campaign = say("admin.report_no_campaign")
    by_campaign = _table([campaign, *stages], (_funnel(r, no_campaign) for r in report.campaigns), say)
    by_week = _table([say("admin.column_week"), *stages], (_funnel(r, "") for r in report.weeks), say)
    return [
        say("admin.report_funnel_heading"),
        say("admin.report_funnel_note"),
        total,
        say("admin.report_campaigns_heading"),
        say("admin.report_campaigns_note"),
        by_campaign,
        say("admin.report_weeks_heading"),
        by_week,
    ]


def _quality_sections(report: Report, say: Wording) -> list[str]:
    no_topic = say("admin.report_no_topic")
    topics = _table(
        [say(f"admin.column_{c}") for c in ("topic", *OUTCOMES, "answered_rate")],
        ((t.topic or no_topic, *_outcomes(t), f"{t.answered_rate:.0%}") for t in report.topics),
        say,
    )
    feedback = _table(
        [say(f"admin.column_{c}") for c in ("entry", "topic", "helpful", "not_helpful")],
        ((f.entry, f.topic or no_topic, f.helpful, f.not_helpful) for f in report.feedback),
        say,
    )
    unanswered = _table(
        [say(f"admin.column_{c}") for c in ("times", "wordings", "example")],
        ((g.count, g.variants, g.example) for g in report.unanswered),
        say,
    )
    return [
        say("admin.report_topics_heading"),
        say("admin.report_topics_note"),
        topics,
        say("admin.report_feedback_heading"),
        feedback,
        say("admin.report_unanswered_heading"),
        unanswered,
    ]


def _referral_sections(report: Report, say: Wording, providers: Mapping[str, str]) -> list[str]:
    columns = ("provider", "referrals", "pending", "sent", "withdrawn")
    table = _table(
        [say(f"admin.column_{c}") for c in columns],
        (_provider(p, providers, with_id=False) for p in report.providers),
        say,
    )
    return [say("admin.report_providers_heading"), table]


def _funnel(row: FunnelRow, blank: str) -> Row:
    return (row.key or blank, *row.counts())


def _table(headers: Sequence[str], rows: Iterable[Row], say: Wording | None = None) -> str:
    """Returns a Markdown table, or the 'nothing' sentence when there are no rows."""
    body = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    if not body and say is not None:
        return say("admin.report_nothing")
    head = "| " + " | ".join(headers) + " |"
    rule = "|" + "|".join(" --- " for _ in headers) + "|"
    return "\n".join([head, rule, *body])


def _cell(value: Cell) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _when(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local.day} {local:%B} {local.year}, {local:%H:%M}"
