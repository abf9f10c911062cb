"""Facts about the person are read out of their own words, with the real subjects and places."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.core.content import Content
from bot.shortlist.facts import Facts

TODAY = date(2026, 11, 23)  # recruiting for September 2027


def _find(content: Content, text: str, **kwargs: Any) -> Facts:
    return content.facts.find(text, TODAY, **kwargs)


def _mine(content: Content, text: str, **kwargs: Any) -> dict[str, Any]:
    found = _find(content, text, **kwargs).mine.to_dict()
    if "place" in found:
        found["place"] = found["place"]["name"]
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I have a 2:2 in biology and live in the North East",
            {"degree": "lower_second", "degree_subject": "biology", "place": "North East"},
        ),
        (
            "I'm a nurse in Leeds and want to teach primary, starting September 2027",
            {"subjects": ["primary"], "phase": "primary", "place": "Leeds", "start": "next_september"},
        ),
        ("I don't have a maths GCSE but I have English", {"gcse_maths": "no", "gcse_english": "yes"}),
        ("I'm 28, I need to earn while I train", {"age": 28, "needs_salary": True}),
        ("I work full time as an engineer and want to teach physics part time", {"mode": "part_time"}),
        ("I already have QTS", {"has_qts": True}),
        ("I'm in my final year at uni", {"degree": "studying"}),
        ("I would need a visa", {"needs_visa": True}),
        ("I'd like to start in 2029", {"start": "later"}),
    ],
)
def test_facts_are_found(content: Content, text: str, expected: dict[str, Any]) -> None:
    found = _mine(content, text)
    assert {key: found.get(key) for key in expected} == expected


def test_a_job_makes_a_career_changer(content: Content) -> None:
    found = _mine(content, "im 41 and ive been working in accounts for nearly 20 years")
    assert (found["age"], found["current_job"], found["career_changer"]) == (41, "accounts", True)


@pytest.mark.parametrize(
    "text",
    [
        "what's the weather going to be like in leeds tomorrow",
        "how much is the physics bursary?",
        "what's the difference between primary and secondary?",
        "can I train part time?",
        "I'm a bit worried about the fees",
    ],
)
def test_questions_are_not_wishes(content: Content, text: str) -> None:
    assert _mine(content, text) == {}


def test_a_fact_about_someone_else_is_kept_apart(content: Content) -> None:
    found = _find(content, "I have a 2:1 in maths and my son has a 2:2 in history")
    assert found.mine.degree == "upper_second"
    assert (found.someone_elses.degree, found.someone_elses.degree_subject) == ("lower_second", "history")


def test_a_bare_subject_or_place_counts_only_when_asked_for(content: Content) -> None:
    assert _mine(content, "chemistry") == {}
    assert _mine(content, "chemistry", bare_subjects=True) == {"subjects": ["chemistry"]}
    assert _mine(content, "near York", bare_places=True)["place"] == "York"
