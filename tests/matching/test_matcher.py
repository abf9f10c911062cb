"""Tests for the matcher end to end on a small knowledge base: answers, bands, odd input, speed."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from matching_sample import ANSWERS, CONFIG, answer, knowledge

from bot.config import LEXICAL_ONLY
from bot.matching.matcher import Matcher, MatchStatus


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(knowledge(), CONFIG)


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("how much is the physics bursary", "bursary-amounts"),
        ("Do I need a DBS check?", "dbs-check"),
        ("when is the deadline to apply for teacher training", "application-timing"),
        ("is there an age limit for teaching", "age-limit"),
        ("can i earn a wage while training to teach", "salaried-route"),
    ],
)
def test_clear_questions_are_answered(matcher: Matcher, question: str, entry: str) -> None:
    match = matcher.match(question)
    assert match.status is MatchStatus.ANSWERED
    assert match.best is not None
    assert match.best.entry == entry


def test_typos_and_plurals_still_match(matcher: Matcher) -> None:
    match = matcher.match("how big are the burseries for chemestry")
    assert match.best is not None
    assert match.best.entry == "bursary-amounts"


def test_long_question_with_background(matcher: Matcher) -> None:
    question = (
        "Hi there, I'm 52, I've worked in insurance for most of my life and I have two grown up kids. "
        "I've always fancied teaching history. Am I too old to start training now?"
    )
    match = matcher.match(question)
    assert match.best is not None
    assert match.best.entry == "age-limit"
    assert match.status in (MatchStatus.ANSWERED, MatchStatus.SUGGESTED)


def test_two_questions_offer_the_other_one(matcher: Matcher) -> None:
    match = matcher.match("Do I need a DBS check before I start? Also, how much is the maths bursary?")
    assert match.best is not None
    found = {match.best.entry, *(c.entry for c in match.other_questions)}
    assert found == {"dbs-check", "bursary-amounts"}
    assert match.best.topic not in {c.topic for c in match.other_questions}


def test_how_much_a_clause_counts_comes_from_the_config(matcher: Matcher) -> None:
    reading = matcher.read("Do I need a DBS check before I start? Also, how much is the maths bursary?")
    assert len(reading.pieces) == 3
    whole_only = matcher.fuse(reading, replace(LEXICAL_ONLY, clause_share=0.0))
    first = [(c.entry, c.score) for c in whole_only[0].ranked]
    assert all([(c.entry, c.score) for c in part.ranked] == first for part in whole_only[1:])
    alone = matcher.fuse(reading, replace(LEXICAL_ONLY, clause_share=1.0, background_share=1.0))
    for piece, part in zip(reading.pieces[1:], alone[1:], strict=True):
        own = {matcher.index.entries[s.entry].id: s.score for s in piece.lexical}
        assert {c.entry: c.score for c in part.ranked} == pytest.approx(own, abs=1e-4)


def test_entities_are_reported(matcher: Matcher) -> None:
    match = matcher.match("I have a 2:2 in history, can I do a PGCE in 2026/27?")
    assert match.entities.subjects == ("history",)
    assert match.entities.routes == ("pgce-university",)
    assert match.entities.degree_class == "2:2"
    assert match.entities.academic_year == "2026/27"


def test_a_degree_class_favours_the_entry_question(matcher: Matcher) -> None:
    match = matcher.match("I got a 2:2, is that a problem?")
    assert match.best is not None
    assert match.best.entry == "entry-degree-class"


def test_off_topic_entry_gives_out_of_scope(matcher: Matcher) -> None:
    match = matcher.match("how do I transfer my teachers pension to a new job")
    assert match.status is MatchStatus.OUT_OF_SCOPE
    assert match.best is not None
    assert match.best.topic == "out_of_scope"


@pytest.mark.parametrize("text", ["how", "hello?", "lol", "😀😀😀", "", "   \n\t ", "???", "ok thanks"])
def test_messages_without_domain_words_are_out_of_scope(matcher: Matcher, text: str) -> None:
    match = matcher.match(text)
    assert match.status is MatchStatus.OUT_OF_SCOPE
    assert match.best is None


def test_one_word_keyword_is_not_refused(matcher: Matcher) -> None:
    match = matcher.match("bursary?")
    assert match.status in (MatchStatus.SUGGESTED, MatchStatus.ANSWERED)
    assert match.best is not None
    assert match.best.topic in ("bursary_amounts", "bursary_eligibility")


def test_unrelated_words_are_not_answered(matcher: Matcher) -> None:
    match = matcher.match("my cat sat on the windowsill yesterday afternoon")
    assert match.status in (MatchStatus.NO_MATCH, MatchStatus.OUT_OF_SCOPE)


BAD_INPUTS = [
    "",
    " ",
    "\x00\x01\x02\x1b[31m",
    "🤔🤔🤔",
    "مرحبا، هل يمكنني أن أصبح معلماً؟",
    "‮bursary‬ ‏",
    "<script>alert('bursary')</script><b>pgce</b>",
    "'; DROP TABLE answers; -- bursary",
    "bursary " * 4000,
    "x" * 20_000,
    "?.!\n" * 3000,
    "2:2 2.2 2026/27 2026-27 " * 200,
    "\ud800 lone surrogate",
]


@pytest.mark.parametrize("text", BAD_INPUTS)
def test_odd_input_never_raises(matcher: Matcher, text: str) -> None:
    match = matcher.match(text)
    assert match.question == text
    assert match.status in set(MatchStatus)
    scores = [c.score for c in (match.best, *match.alternatives) if c is not None]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_random_text_never_raises(matcher: Matcher) -> None:
    rng = random.Random(20261123)
    alphabet = "abcdefghijklmnopqrstuvwxyz  ?.!,:'\n0123456789éß漢😀\u200f"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        assert matcher.match(text).status in set(MatchStatus)


def test_matching_is_deterministic() -> None:
    questions = ["Do I need a DBS check? Also how much is the maths bursary", "bursary", "pgce or scitt?"]
    first = Matcher(knowledge(), CONFIG)
    second = Matcher(knowledge(), CONFIG)
    for question in questions:
        assert first.match(question) == second.match(question) == first.match(question)


def test_index_builds_quickly_for_a_hundred_entries() -> None:
    rows = [
        answer(f"entry-{n}-{ident}", topic, question, tuple(f"{e} variant {n}" for e in examples), keywords)
        for n in range(10)
        for ident, topic, question, examples, keywords in ANSWERS
    ]
    built = Matcher(knowledge(tuple(rows)), CONFIG)
    assert len(built.index.phrasings) == 700
