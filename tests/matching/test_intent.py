"""Tests for telling the clauses that ask from the background around them."""

from __future__ import annotations

import pytest

from bot.matching.intent import asking_segments, asks, clause_asks
from bot.shortlist.facts import _asks
from handlers.ask import _questions


@pytest.mark.parametrize(
    "segment",
    [
        "can i still apply this year",
        "is there a bursary for chemistry",
        "how would i go about it",
        "and do you need a first",
        "what are my options",
        "I'm wondering whether part time works",
    ],
)
def test_questions_and_requests_ask(segment: str) -> None:
    assert asks(segment)


@pytest.mark.parametrize(
    "segment",
    [
        "i work in a bank",
        "I've been a TA for six years",
        "moved here with my wife who is british",
        "english is my strong point",
        "i got an a in it and did it at degree level",
    ],
)
def test_background_does_not_ask(segment: str) -> None:
    assert not asks(segment)


def test_a_message_splits_into_background_and_asking() -> None:
    asking, background = asking_segments(
        "hi, I'm 41 and got a 2:1 in economics. is it too late, and how would I start?"
    )
    assert asking == ["is it too late", "and how would I start"]
    assert background == ["hi", "I'm 41 and got a 2:1 in economics"]


def test_a_question_mark_makes_a_segment_ask() -> None:
    assert asking_segments("placements near leeds?") == (["placements near leeds"], [])


def test_a_clause_asks_by_the_punctuation_after_it() -> None:
    text = "Salaried places near Hull? My partner works there."
    assert clause_asks(text, "Salaried places near Hull")
    assert not clause_asks(text, "My partner works there")


@pytest.mark.parametrize(
    "sentence",
    [
        "Did my old degree count",
        "Am I too old to train",
        "If I fail the skills test what happens",
        "Whether part time is possible",
    ],
)
def test_a_sentence_opening_with_a_question_word_asks_in_messages_and_profiles(sentence: str) -> None:
    message = f"I work in a bank. {sentence}. My partner is a teacher."
    assert _questions(message) == [f"{sentence}."]
    assert _asks(sentence.lower())
    assert not _asks("my partner is a teacher")
