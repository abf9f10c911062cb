"""The report on a database filled by scripted conversations: its numbers are the ones the script made."""

from __future__ import annotations

import csv
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib.image import imread

from bot.commands.report import make_report
from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.referrals.model import ReferralStatus
from bot.storage.sqlite import SqliteStore
from tests.staff.conftest import staff_journeys
from tests.staff.scripting import QUESTION_STATUSES, Asked, Script, Visit, add_shortlist, play, referral

WEEK_45 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # Tuesday of ISO week 2026-W45
WEEK_47 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday of 2026-W47; W46 has nobody
ANSWERABLE = ("how much is the physics bursary", "what is a scitt", "can i train to teach if i have a 2:2")
HARD = ("how do i teach", "where can i park my bike", "what colour are the school gates")
VISITS = [
    Visit("ana", "radio", WEEK_45, (ANSWERABLE[0], HARD[0]), thumb=True),
    Visit("ben", "radio", WEEK_47, (ANSWERABLE[1],), thumb=False),
    Visit("cat", "tiktok", WEEK_45, (ANSWERABLE[2], HARD[1], "do you know the football scores"), thumb=True),
    Visit("dev", "tiktok", WEEK_47),
    Visit("eve", "tiktok", WEEK_47 + timedelta(days=1), (HARD[2], HARD[0])),
    Visit("staff", None, WEEK_47, (HARD[0], ANSWERABLE[1]), channel="terminal"),
]
CAMPAIGN = {v.user: v.campaign or "" for v in VISITS}
STARTED_AT = {v.user: v.at for v in VISITS}


def read_csv(path: Path) -> list[dict[str, str]]:
    """Returns a CSV file's rows as dicts keyed by its header."""
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture
async def scripted(config: Config, content: Content, tmp_path: Path) -> tuple[Path, Script, str, str]:
    """A SQLite database filled by the visits, two shortlists and three referrals."""
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, staff_journeys(), FixedClock(WEEK_45))
    script = await play(engine, VISITS)
    first, second = sorted(content.knowledge.providers)[:2]
    await add_shortlist(store, "ana", WEEK_45 + timedelta(hours=1), "radio")
    await add_shortlist(store, "cat", WEEK_45 + timedelta(hours=2), "tiktok")
    await store.add_referral(referral("r1", "ana", first, WEEK_45 + timedelta(hours=1), "radio"))
    await store.add_referral(referral("r2", "cat", first, WEEK_45 + timedelta(hours=3), "tiktok"))
    withdrawn = referral(
        "r3", "cat", second, WEEK_45 + timedelta(hours=4), "tiktok", ReferralStatus.WITHDRAWN
    )
    await store.add_referral(withdrawn)
    await store.close()
    return tmp_path / "bot.sqlite3", script, first, second


@pytest.fixture
async def report_dir(
    config: Config, content: Content, scripted: tuple[Path, Script, str, str], tmp_path: Path
) -> Path:
    """The report written from the scripted database."""
    out = tmp_path / "report"
    clock = FixedClock(datetime(2026, 11, 23, tzinfo=UTC))
    await make_report(config, content.knowledge, SqliteStore(scripted[0]), None, out, clock)
    return out


def visitors(script: Script) -> list[Asked]:
    """The questions typed by people other than staff."""
    return [a for a in script.asked if a.user != "staff"]


async def test_the_report_writes_every_file(report_dir: Path) -> None:
    names = {"report.md", "funnel.csv", "weekly.csv", "topics.csv", "unanswered.csv", "providers.csv"}
    assert names | {"funnel.png", "weekly.png"} <= set(os.listdir(report_dir))
    for chart in ("funnel.png", "weekly.png"):
        data = (report_dir / chart).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        height, width, _ = imread(report_dir / chart).shape
        assert width >= 1600 and height >= 900, "charts are drawn large enough for a slide"
    text = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "| radio | 2 |" in text and "| tiktok | 3 |" in text
    assert "![](funnel.png)" in text and "![](weekly.png)" in text


async def test_the_funnel_by_campaign_matches_the_script(
    report_dir: Path, scripted: tuple[Path, Script, str, str]
) -> None:
    script = scripted[1]
    asked = visitors(script)
    expected = {}
    for campaign in ("radio", "tiktok"):
        people = {u for u, c in CAMPAIGN.items() if c == campaign}
        expected[campaign] = {
            "started": str(len(people)),
            "asked": str(len({a.user for a in asked if a.user in people and a.status in QUESTION_STATUSES})),
            "answered": str(len({a.user for a in asked if a.user in people and a.status == "answered"})),
            "shortlisted": "1",
            "referred": "1",
        }
    rows = {row.pop("campaign"): row for row in read_csv(report_dir / "funnel.csv")}
    assert rows == expected
    assert expected["tiktok"]["asked"] == "2", "dev only said hello"
    assert expected["tiktok"]["answered"] == "1", "eve got no answer"


async def test_the_weekly_funnel_matches_the_script(
    report_dir: Path, scripted: tuple[Path, Script, str, str]
) -> None:
    asked = visitors(scripted[1])
    rows = read_csv(report_dir / "weekly.csv")
    assert [row["week"] for row in rows] == ["2026-W45", "2026-W46", "2026-W47"]
    for row in rows:
        week = int(row["week"][-2:])
        in_week = [a for a in asked if a.at.isocalendar().week == week]
        starts = [u for u, at in STARTED_AT.items() if u != "staff" and at.isocalendar().week == week]
        assert int(row["started"]) == len(starts)
        assert int(row["asked"]) == len({a.user for a in in_week})
        assert int(row["answered"]) == len({a.user for a in in_week if a.status == "answered"})
        assert int(row["referred"]) == (2 if week == 45 else 0)


async def test_topics_unanswered_and_feedback_match_the_script(
    report_dir: Path, scripted: tuple[Path, Script, str, str]
) -> None:
    script = scripted[1]
    asked = visitors(script)
    unanswered = [a for a in asked if a.status in ("no_match", "suggested")]
    assert unanswered and any(a.status == "answered" for a in asked), "the script must cover both outcomes"

    outcomes = Counter((a.topic or "", a.status) for a in asked)
    for row in read_csv(report_dir / "topics.csv"):
        for status in ("answered", "suggested", "no_match", "out_of_scope"):
            assert int(row[status]) == outcomes[(row["topic"], status)], (row["topic"], status)
    assert sum(int(row["questions"]) for row in read_csv(report_dir / "topics.csv")) == len(asked)

    groups = read_csv(report_dir / "unanswered.csv")
    assert sum(int(row["count"]) for row in groups) == len(unanswered)
    assert all(row["example"] in {a.text for a in unanswered} for row in groups)

    thumbs = Counter((entry, helpful) for _user, entry, helpful in script.thumbs)
    assert len(script.thumbs) == 3
    for row in read_csv(report_dir / "feedback.csv"):
        assert int(row["helpful"]) == thumbs[(row["entry"], True)]
        assert int(row["not_helpful"]) == thumbs[(row["entry"], False)]


async def test_providers_count_referrals_by_status(
    report_dir: Path, scripted: tuple[Path, Script, str, str]
) -> None:
    _db, _script, first, second = scripted
    rows = {row["provider_id"]: row for row in read_csv(report_dir / "providers.csv")}
    assert set(rows) == {first, second}
    assert (rows[first]["referrals"], rows[first]["pending"], rows[first]["withdrawn"]) == ("2", "2", "0")
    assert (rows[second]["referrals"], rows[second]["pending"], rows[second]["withdrawn"]) == ("1", "0", "1")


async def test_questions_that_look_like_formulas_stay_text_in_the_csv_files(
    config: Config, content: Content, tmp_path: Path
) -> None:
    formulas = ('=HYPERLINK("http://bad.test","click")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3*cmd")
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, staff_journeys(), FixedClock(WEEK_45))
    await play(engine, [Visit("zed", "radio", WEEK_45, formulas)])
    await store.close()
    out = tmp_path / "report"
    clock = FixedClock(datetime(2026, 11, 23, tzinfo=UTC))
    await make_report(config, content.knowledge, SqliteStore(tmp_path / "bot.sqlite3"), None, out, clock)
    examples = {row["example"] for row in read_csv(out / "unanswered.csv")}
    assert examples, "the formulas were unanswered questions"
    for example in examples:
        assert example.startswith("'") and example[1:] in formulas, example


def test_every_csv_file_is_written_through_the_formula_guard() -> None:
    root = Path(__file__).parents[2]
    writers = [
        path.relative_to(root).as_posix()
        for folder in ("bot", "handlers")
        for path in (root / folder).rglob("*.py")
        if any(word in path.read_text(encoding="utf-8") for word in ("csv.writer", "DictWriter"))
    ]
    assert writers == ["bot/spreadsheet.py"]


# Questions that name a route but match no answer confidently: the bot shows the route's card as a guess.
GUESSED_CARDS = (
    "does teach first give a bursary for history",
    "apprenticeship for maths",
    "is there a scitt near the sea with a nice canteen",
)


async def test_a_route_card_shown_on_a_guess_is_not_counted_as_answered(
    config: Config, content: Content, tmp_path: Path
) -> None:
    questions = (*GUESSED_CARDS, ANSWERABLE[0])
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, staff_journeys(), FixedClock(WEEK_45))
    script = await play(engine, [Visit("gus", None, WEEK_45, questions)])
    await store.close()
    guesses = [q for q in GUESSED_CARDS if content.matcher.match(q).status != "answered"]
    assert guesses, "the script needs a question the matcher cannot answer confidently"
    out = tmp_path / "report"
    clock = FixedClock(datetime(2026, 11, 23, tzinfo=UTC))
    await make_report(config, content.knowledge, SqliteStore(tmp_path / "bot.sqlite3"), None, out, clock)
    answered = sum(int(row["answered"]) for row in read_csv(out / "topics.csv"))
    confident = [a.text for a in script.asked if content.matcher.match(a.text).status == "answered"]
    assert answered == len(confident)
    examples = {row["example"] for row in read_csv(out / "unanswered.csv")}
    assert set(guesses) <= examples
