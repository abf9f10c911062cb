"""Tests for the matcher on the project's own knowledge: what is asked outweighs what is named in passing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bot.core.content import Content


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        # A route named in passing does not turn a money question into one about the route.
        ("can i get a student loan to train at a scitt", "student-finance-loans"),
        # Having no degree, said in one clause, decides what the other clause is asking about.
        ("I've never been to university. What routes are there for me?", "no-degree-options"),
        # Other careers are declined, not answered as teacher training.
        ("how do I train to be a vet", "oos-other-careers"),
    ],
)
def test_the_question_asked_decides_the_entry(content: Content, question: str, entry: str) -> None:
    match = content.matcher.match(question)
    assert match.best is not None
    assert match.best.entry == entry


@pytest.mark.parametrize(
    "question",
    [
        "been an accountant 15 years, can i retrain to teach maths",
        "im 44, been a nurse for 20 years, no idea if i can switch to teaching primary or how long it takes?",
    ],
)
def test_moving_from_another_career_into_teaching_is_not_refused(content: Content, question: str) -> None:
    match = content.matcher.match(question)
    offered = [c.entry for c in (match.best, *match.alternatives) if c is not None]
    assert "oos-other-careers" not in offered
    assert str(match.status) != "out_of_scope"
