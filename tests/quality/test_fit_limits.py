"""The fit refuses thresholds the quality gate would refuse: too many wrong answers, or too few declines."""

from __future__ import annotations

import pytest

from scripts.fit_matching import MAX_WRONG, MIN_DECLINED, Question, set_worth


def _questions(needs: list[str]) -> list[Question]:
    return [
        Question(f"question {n}", frozenset({"entry"}), need, "https://example.org")
        for n, need in enumerate(needs)
    ]


def test_the_declined_share_counts_refusals_and_unsure_replies_among_questions_to_decline() -> None:
    questions = _questions(["decline"] * 4 + ["in_scope"] * 2)
    outcomes = ["refused", "unsure", "suggested_wrong", "answered_wrong", "answered_right", "unsure"]
    value, wrong, declined = set_worth(questions, outcomes, real=True)
    assert declined == 0.5
    assert value == pytest.approx((1.0 + 0.7 - 0.3 - 2.0 + 1.0 + 0.0) / 6)
    assert wrong == 1 / 6
    assert declined < MIN_DECLINED and wrong > MAX_WRONG


def test_a_set_with_nothing_to_decline_never_fails_the_declined_limit() -> None:
    questions = _questions(["in_scope"] * 3)
    _, wrong, declined = set_worth(questions, ["answered_right", "unsure", "suggested_right"], real=True)
    assert declined == 1.0
    assert wrong == 0.0
