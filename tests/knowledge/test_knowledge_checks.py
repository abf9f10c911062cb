"""Each kind of mistake in the knowledge files is reported once, at its file, line, entry and field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from knowledge_edits import REGIONS, TODAY, edit, line_of

from bot.errors import Problem
from bot.knowledge.checks import check_knowledge

ROOT = Path(__file__).resolve().parents[2] / "knowledge"


@dataclass(frozen=True)
class Break:
    """One edit to the valid folder and the single problem it must cause."""

    file: str
    old: str
    new: str
    entry: str | None
    field: str | None
    words: str
    anchor: str = ""  # text on the line the problem must point at; defaults to the new text
    severity: str = "error"


BREAKS: dict[str, Break] = {
    "unknown field": Break(
        "answers/money.yaml",
        "keywords: [bursary",
        "keywrds: [bursary",
        "bursary-amounts",
        "keywrds",
        "did you mean 'keywords'",
    ),
    "unknown provider field": Break(
        "providers.yaml",
        "    town: Sheffield",
        "    town: Sheffield\n    postcode: S1 1WB",
        "sheffield-training",
        "postcode",
        "unknown field",
        anchor="postcode",
    ),
    "unknown digest field": Break(
        "providers.yaml",
        "      format: full",
        "      format: full\n      cc: [x@training.test]",
        "sheffield-training",
        "digest.cc",
        "unknown field",
        anchor="cc:",
    ),
    "missing field": Break(
        "answers/money.yaml",
        "    question: How much is the bursary?\n",
        "",
        "bursary-amounts",
        "question",
        "is missing",
        anchor="- id: bursary-amounts",
    ),
    "missing route field": Break(
        "routes.yaml",
        "    award: QTS.\n",
        "",
        "school-direct-salaried",
        "award",
        "is missing",
        anchor="- id: school-direct-salaried",
    ),
    "wrong type: flag": Break(
        "routes.yaml",
        "    needs_teaching_experience: false\n    lives_in: england",
        "    needs_teaching_experience: maybe\n    lives_in: england",
        "pgce-university",
        "needs_teaching_experience",
        "true or false",
        anchor="maybe",
    ),
    "wrong type: list": Break(
        "answers/money.yaml",
        "keywords: [enic, comparability]",
        "keywords: enic",
        "enic-statement",
        "keywords",
        "must be a list",
    ),
    "wrong type: date": Break(
        "providers.yaml",
        "reviewed: 2026-11-01",
        "reviewed: last week",
        "sheffield-training",
        "reviewed",
        "must be a date",
    ),
    "wrong type: figure": Break(
        "values/bursaries.yaml",
        "mathematics:\n    bursary: 29000",
        "mathematics:\n    bursary: [29000]",
        "bursaries.2026-27.mathematics",
        "bursary",
        "must be a number",
        anchor="bursary: [29000]",
    ),
    "wrong choice": Break(
        "routes.yaml",
        "funding: salary",
        "funding: salaried",
        "school-direct-salaried",
        "funding",
        "fee, salary, apprenticeship",
    ),
    "duplicate answer id across files": Break(
        "answers/money.yaml",
        "- id: student-loans",
        "- id: apply-dates",
        "apply-dates",
        "id",
        "answers/applying.yaml:2",
    ),
    "duplicate route id": Break(
        "routes.yaml",
        "- id: school-direct-salaried\n    name: School",
        "- id: pgce-university\n    name: School",
        "pgce-university",
        "id",
        "already used by the entry at routes.yaml:2",
    ),
    "duplicate subject id": Break(
        "subjects.yaml",
        "- id: chemistry\n    name: Chemistry",
        "- id: physics\n    name: Chemistry",
        "physics",
        "id",
        "already used by the entry at subjects.yaml:2",
    ),
    "duplicate key": Break(
        "answers/applying.yaml",
        "    topic: out_of_scope\n",
        "    topic: out_of_scope\n    topic: out_of_scope  # 2\n",
        None,
        None,
        "appears twice",
        anchor="# 2",
    ),
    "id format": Break(
        "answers/applying.yaml",
        "- id: out-of-scope-pensions",
        "- id: Out_Of_Scope",
        "Out_Of_Scope",
        "id",
        "lower-case",
    ),
    "id too long": Break(
        "answers/applying.yaml",
        "- id: out-of-scope-pensions",
        f"- id: {'x' * 41}",
        "x" * 41,
        "id",
        "at most 40",
    ),
    "unknown topic": Break(
        "answers/money.yaml",
        "topic: bursary_amounts",
        "topic: bursary_amount",
        "bursary-amounts",
        "topic",
        "not a known topic",
    ),
    "unknown value in answer": Break(
        "answers/money.yaml",
        "{bursaries.current.physics.scholarship}",
        "{bursaries.current.physics.scholarshp}",
        "bursary-amounts",
        "answer",
        "did you mean 'bursaries.current.physics.scholarship'",
    ),
    "unknown value in route text": Break(
        "routes.yaml",
        "{training.placements.min_weeks}",
        "{training.placement.min_weeks}",
        "pgce-university",
        "summary",
        "is not a figure",
    ),
    "unknown value in message": Break(
        "messages/core.yaml",
        "{bursaries.current.physics.bursary}",
        "{bursaries.physics.bursary}",
        None,
        "fallback",
        "is not a figure",
    ),
    "unknown follow-up": Break(
        "answers/money.yaml",
        "follow_ups: [enic-statement]",
        "follow_ups: [enic-statment]",
        "bursary-amounts",
        "follow_ups",
        "did you mean 'enic-statement'",
    ),
    "unknown structured": Break(
        "answers/money.yaml",
        "structured: bursary_for_subject",
        "structured: bursary_by_subject",
        "bursary-amounts",
        "structured",
        "bursary_for_subject, route_details, provider_details",
    ),
    "provider offers unknown route": Break(
        "providers.yaml",
        "routes: [pgce-university]",
        "routes: [pgce-university, scitt]",
        "sheffield-training",
        "routes",
        "'scitt' is not a known route",
    ),
    "provider offers unknown subject": Break(
        "providers.yaml",
        "subjects: [physics, mathematics]",
        "subjects: [physics, maths]",
        "sheffield-training",
        "subjects",
        "'maths' is not a known subject",
    ),
    "provider unknown phase": Break(
        "providers.yaml",
        "phases: [secondary]",
        "phases: [secondry]",
        "sheffield-training",
        "phases",
        "'secondry' is not one of",
    ),
    "latitude outside Great Britain": Break(
        "providers.yaml",
        "lat: 53.3790",
        "lat: 5.3790",
        "sheffield-training",
        "lat",
        "outside Great Britain",
    ),
    "longitude outside Great Britain": Break(
        "providers.yaml",
        "lon: -1.4650",
        "lon: 1.9",
        "sheffield-training",
        "lon",
        "outside Great Britain",
    ),
    "http source in an answer": Break(
        "answers/money.yaml",
        "sources: [https://www.gov.uk/student-finance]",
        "sources: [http://www.gov.uk/student-finance]",
        "student-loans",
        "sources",
        "https://",
    ),
    "http website": Break(
        "providers.yaml",
        "website: https://training.test/",
        "website: http://training.test/",
        "sheffield-training",
        "website",
        "https://",
    ),
    "http value source": Break(
        "values/fees.yaml",
        "source: https://www.enic.org.uk/",
        "source: www.enic.org.uk",
        "fees.enic",
        "source",
        "https://",
    ),
    "figure without source": Break(
        "values/training.yaml",
        "  source: https://getintoteaching.education.gov.uk/funding-and-support/salaried-teacher-training\n",
        "",
        "training.salaried",
        "max_timetable_percent",
        "has no source",
        anchor="max_timetable_percent",
    ),
    "figure without academic year": Break(
        "values/cycle.yaml",
        "  academic_year: 2027/28\n",
        "",
        "cycle.2027-28",
        "apply_opens",
        "has no academic_year",
        anchor="apply_opens",
    ),
    "bad academic year": Break(
        "values/bursaries.yaml",
        "academic_year: 2026/27",
        "academic_year: 2026-27",
        "bursaries.2026-27",
        "academic_year",
        "like 2026/27",
    ),
    "academic year that is not two years": Break(
        "values/cycle.yaml",
        "academic_year: 2027/28",
        "academic_year: 2027/29",
        "cycle.2027-28",
        "academic_year",
        "like 2026/27",
    ),
    "current names no year": Break(
        "values/cycle.yaml",
        "current: 2027-28",
        "current: 2028-29",
        "cycle",
        "current",
        "year mapping",
    ),
    "alias shared by two subjects": Break(
        "subjects.yaml",
        "aliases: [maths, math]",
        "aliases: [maths, math, phys]",
        "mathematics",
        "aliases",
        "also names subject 'physics'",
        anchor="phys]",
    ),
    "region not configured": Break(
        "providers.yaml",
        "region: South Yorkshire",
        "region: Yorkshire",
        "sheffield-training",
        "region",
        "not a known region",
    ),
    "digest frequency": Break(
        "providers.yaml",
        "frequency: weekly",
        "frequency: fortnightly",
        "sheffield-training",
        "digest.frequency",
        "daily, weekly",
    ),
    "digest weekday": Break(
        "providers.yaml",
        "weekday: monday",
        "weekday: mondays",
        "sheffield-training",
        "digest.weekday",
        "monday, tuesday",
    ),
    "digest weekday missing for weekly": Break(
        "providers.yaml",
        "      weekday: monday\n",
        "",
        "sheffield-training",
        "digest.weekday",
        "is missing",
        anchor="digest:",
    ),
    "digest time": Break(
        "providers.yaml",
        'time: "09:00"',
        'time: "9am"',
        "sheffield-training",
        "digest.time",
        "24-hour time",
    ),
    "digest format": Break(
        "providers.yaml",
        "format: full",
        "format: pdf",
        "sheffield-training",
        "digest.format",
        "full, summary",
    ),
    "digest email": Break(
        "providers.yaml",
        "emails: [referrals@training.test]",
        "emails: [referrals.training.test]",
        "sheffield-training",
        "digest.emails",
        "not an email address",
    ),
    "broken YAML": Break(
        "subjects.yaml",
        "name: Mathematics",
        "name: Mathematics: the subject",
        None,
        None,
        "not valid YAML",
    ),
    "stale review": Break(
        "answers/money.yaml",
        "    reviewed: 2026-11-01\n\n  - id: enic-statement",
        "    reviewed: 2025-11-01\n\n  - id: enic-statement",
        "bursary-amounts",
        "reviewed",
        "more than 12 months",
        anchor="2025-11-01",
        severity="warning",
    ),
    "stale review of figures": Break(
        "values/cycle.yaml",
        "reviewed: 2026-11-01",
        "reviewed: 2025-09-30",
        "cycle",
        "reviewed",
        "more than 12 months",
        severity="warning",
    ),
    "placeholder digest address": Break(
        "providers.yaml",
        "emails: [referrals@training.test]",
        "emails: [referrals@provider.example]",
        "sheffield-training",
        "digest.emails",
        "placeholder",
        severity="warning",
    ),
    "too few examples": Break(
        "answers/applying.yaml",
        '      - "is it too late to apply this year"\n',
        "",
        "apply-dates",
        "examples",
        "at least 3",
        anchor='    examples:\n      - "when does',
        severity="warning",
    ),
}


def _only(problems: list[Problem], severity: str) -> Problem:
    found = [p for p in problems if p.severity == severity]
    assert len(found) == 1, "\n".join(str(p) for p in problems)
    return found[0]


def test_the_valid_folder_has_no_problems(kb: Path) -> None:
    assert check_knowledge(kb, TODAY, REGIONS) == []


@pytest.mark.parametrize("name", BREAKS)
def test_one_mistake_is_reported_at_its_place(kb: Path, name: str) -> None:
    case = BREAKS[name]
    edit(kb, case.file, case.old, case.new)
    problems = check_knowledge(kb, TODAY, REGIONS)
    problem = _only(problems, case.severity)
    if case.severity == "warning":
        assert not [p for p in problems if p.severity == "error"], problems
    line = _anchor_line(kb, case.file, case.anchor or case.new)
    assert (problem.file, problem.line, problem.entry, problem.field) == (
        case.file,
        line,
        case.entry,
        case.field,
    )
    assert case.words in problem.message


def _anchor_line(folder: Path, file: str, anchor: str) -> int:
    """Finds the line where anchor starts, even when anchor spans lines."""
    text = (folder / file).read_text(encoding="utf-8")
    assert text.count(anchor) == 1, f"{anchor!r} must occur once in {file}"
    return text[: text.index(anchor)].count("\n") + 1


def test_a_value_path_inside_a_block_is_located_on_its_own_line(kb: Path) -> None:
    edit(
        kb, "answers/money.yaml", "{bursaries.current.physics.bursary}", "{bursaries.current.physics.bursry}"
    )
    problem = _only(check_knowledge(kb, TODAY), "error")
    assert problem.line == line_of(kb, "answers/money.yaml", "{bursaries.current.physics.bursry}")


def test_every_problem_is_reported_not_only_the_first(kb: Path) -> None:
    edit(kb, "answers/money.yaml", "topic: bursary_amounts", "topic: bursaries")
    edit(kb, "providers.yaml", "lat: 53.3790", "lat: 153.3790")
    edit(kb, "values/fees.yaml", "statement: 69.60", "statement: [69.60]")
    files = {p.file for p in check_knowledge(kb, TODAY) if p.severity == "error"}
    assert files == {"answers/money.yaml", "providers.yaml", "values/fees.yaml"}


def test_a_broken_values_file_does_not_hide_other_files(kb: Path) -> None:
    edit(kb, "values/bursaries.yaml", "  unit: gbp\n", "  unit: gbp\n\tbad: tab\n")
    edit(kb, "answers/applying.yaml", "topic: application_timing", "topic: timing")
    problems = [p for p in check_knowledge(kb, TODAY) if p.severity == "error"]
    assert [(p.file, p.field) for p in problems] == [
        ("answers/applying.yaml", "topic"),
        ("values/bursaries.yaml", None),
    ]


def test_regions_are_not_checked_when_none_are_given(kb: Path) -> None:
    edit(kb, "providers.yaml", "region: South Yorkshire", "region: Yorkshire")
    assert check_knowledge(kb, TODAY) == []


@pytest.mark.parametrize(
    "missing",
    ["synonyms.yaml", "routes.yaml", "messages", "answers", "geo/ATTRIBUTION.md", "geo/gb_places.csv"],
)
def test_a_missing_file_or_folder_is_an_error(kb: Path, missing: str) -> None:
    path = kb / missing
    if path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
    else:
        path.unlink()
    errors = [p for p in check_knowledge(kb, TODAY) if p.severity == "error"]
    assert missing in {p.file.rstrip("/") for p in errors}
    assert all(p.line is None for p in errors if p.file.rstrip("/") == missing)


def test_an_ended_academic_year_is_warned_once_per_year_not_per_figure(kb: Path) -> None:
    later = date(2027, 9, 1)
    warnings = [p for p in check_knowledge(kb, later) if p.file == "values/bursaries.yaml"]
    assert [(p.severity, p.entry, p.field) for p in warnings] == [
        ("warning", "bursaries.2026-27", "academic_year")
    ]
    assert warnings[0].line == line_of(kb, "values/bursaries.yaml", "academic_year: 2026/27")


def test_words_people_write_stay_text(kb: Path) -> None:
    edit(kb, "subjects.yaml", "aliases: [phys, physic]", "aliases: [phys, physic, no, on, 2:1]")
    assert check_knowledge(kb, TODAY) == []


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        (
            "answers/money.yaml",
            "    reviewed: 2026-11-01\n\n  - id: enic",
            "    reviewed: 2026-13-02\n\n  - id: enic",
        ),
        ("values/cycle.yaml", "apply_opens: 2026-10-06", "apply_opens: 2026-10-32"),
        (
            "answers/money.yaml",
            "    reviewed: 2026-11-01\n\n  - id: enic",
            "    reviewed: !!int soon\n\n  - id: enic",
        ),
    ],
)
def test_a_day_that_does_not_exist_is_one_located_error(kb: Path, file: str, old: str, new: str) -> None:
    edit(kb, file, old, new)
    problem = _only(check_knowledge(kb, TODAY), "error")
    assert problem.file == file
    if "!!int" not in new:
        assert problem.line == line_of(kb, file, new.split("\n")[0].strip())
        assert "is not a real date" in problem.message


def test_many_placeholder_addresses_are_one_warning(kb: Path) -> None:
    edit(kb, "providers.yaml", "referrals@training.test", "referrals@provider.example")
    path = kb / "providers.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "emails: [referrals@provider.example]", "emails: [referrals@provider.example, b@c.example]"
        ),
        encoding="utf-8",
    )
    [warning] = [p for p in check_knowledge(kb, TODAY) if p.severity == "warning"]
    assert warning.file == "providers.yaml" and warning.message.startswith(
        "2 digest addresses are placeholders"
    )


def test_a_year_block_that_current_moved_past_is_not_warned_about(kb: Path) -> None:
    path = kb / "values" / "bursaries.yaml"
    text = path.read_text(encoding="utf-8")
    old = (
        "\n2024-25:\n  academic_year: 2024/25\n  source: https://www.gov.uk/\n  reviewed: 2026-11-01\n"
        "  physics:\n    bursary: 1\n"
    )
    path.write_text(text + old, encoding="utf-8")
    assert [p for p in check_knowledge(kb, TODAY) if p.severity == "warning"] == []
    edit(kb, "values/bursaries.yaml", "current: 2026-27", "current: 2024-25")
    [warning] = [p for p in check_knowledge(kb, TODAY) if p.severity == "warning"]
    assert "academic year 2024/25 ended" in warning.message


def test_the_shipped_knowledge_warns_only_about_what_staff_must_act_on() -> None:
    problems = check_knowledge(ROOT)
    placeholders = [p for p in problems if "placeholder" in p.message]
    assert len(placeholders) <= 1, "placeholder addresses are told in one warning"
    for problem in (p for p in problems if "ended on" in p.message and p.entry):
        block = str(problem.entry).partition(".")[2]
        current = re.search(r"^current: (\S+)", (ROOT / problem.file).read_text(encoding="utf-8"), re.M)
        if current and re.fullmatch(r"\d{4}-\d{2}", block):
            assert block == current.group(1), f"{problem.entry} is history, not something to act on"
