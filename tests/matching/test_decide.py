"""Tests for the decision bands, alternatives and other questions."""

from __future__ import annotations

from matching_sample import CONFIG

from bot.matching.decide import LEVEL_MARGIN, OUT_OF_SCOPE_FLOOR, Candidate, MatchStatus, Part, decide
from bot.matching.entities import Entities

ANSWER = CONFIG.answer_threshold
MARGIN = CONFIG.answer_margin
SUGGEST = CONFIG.suggest_threshold


def _verdict(*parts: Part) -> MatchStatus:
    return decide("q", parts, Entities(), CONFIG).status


def _part(*scores: tuple[str, str, float], whole: bool = True) -> Part:
    return Part("text", tuple(Candidate(e, t, s) for e, t, s in scores), whole)


def test_answers_at_the_threshold_with_exactly_the_margin() -> None:
    assert _verdict(_part(("a", "age", ANSWER), ("b", "ske", ANSWER - MARGIN))) is MatchStatus.ANSWERED


def test_suggests_when_the_margin_is_just_missed() -> None:
    assert (
        _verdict(_part(("a", "age", ANSWER), ("b", "ske", ANSWER - MARGIN + 0.001))) is MatchStatus.SUGGESTED
    )


def test_suggests_just_below_the_answer_threshold() -> None:
    assert _verdict(_part(("a", "age", ANSWER - 0.001))) is MatchStatus.SUGGESTED


def test_suggests_at_the_suggest_threshold_and_not_below() -> None:
    assert _verdict(_part(("a", "age", SUGGEST))) is MatchStatus.SUGGESTED
    assert _verdict(_part(("a", "age", SUGGEST - 0.001))) is MatchStatus.NO_MATCH


def test_no_candidates_is_no_match() -> None:
    match = decide("q", [_part()], Entities(), CONFIG)
    assert match.status is MatchStatus.NO_MATCH
    assert match.best is None


def test_out_of_scope_entry_declines_from_the_suggest_threshold_up() -> None:
    assert (
        _verdict(_part(("p", "out_of_scope", SUGGEST), ("a", "age", SUGGEST - 0.001)))
        is MatchStatus.OUT_OF_SCOPE
    )
    assert _verdict(_part(("p", "out_of_scope", 0.95), ("a", "age", 0.94))) is MatchStatus.OUT_OF_SCOPE


def test_weak_out_of_scope_entry_declines_only_when_clearly_ahead() -> None:
    low = SUGGEST * OUT_OF_SCOPE_FLOOR
    assert _verdict(_part(("p", "out_of_scope", low), ("a", "age", low - MARGIN))) is MatchStatus.OUT_OF_SCOPE
    assert _verdict(_part(("p", "out_of_scope", low), ("a", "age", low - MARGIN / 2))) is MatchStatus.NO_MATCH
    assert _verdict(_part(("p", "out_of_scope", low - 0.01))) is MatchStatus.NO_MATCH


def test_an_answerable_clause_beats_a_refusal() -> None:
    match = decide(
        "q",
        [
            _part(("p", "out_of_scope", 0.9), whole=False),
            _part(("a", "age", 0.8), ("b", "ske", 0.5), whole=False),
        ],
        Entities(),
        CONFIG,
    )
    assert match.status is MatchStatus.ANSWERED
    assert match.best is not None
    assert match.best.entry == "a"


def test_alternatives_are_distinct_in_scope_and_not_the_best() -> None:
    match = decide(
        "q",
        [
            _part(("a", "age", 0.7), ("b", "ske", 0.6), ("p", "out_of_scope", 0.55), ("c", "age", 0.5)),
            _part(("b", "ske", 0.65), ("a", "age", 0.6), ("d", "dbs_health", 0.1), whole=False),
        ],
        Entities(),
        CONFIG,
    )
    assert [c.entry for c in match.alternatives] == ["b", "c"]
    assert match.alternatives[0].score == 0.65


def test_alternatives_respect_the_configured_number() -> None:
    config = CONFIG.__class__(ANSWER, MARGIN, SUGGEST, 1)
    part = _part(("a", "age", 0.7), ("b", "ske", 0.6), ("c", "scitt", 0.6))
    assert len(decide("q", [part], Entities(), config).alternatives) == 1


def test_other_questions_come_from_other_clauses_one_per_topic() -> None:
    match = decide(
        "q",
        [
            _part(("a", "age", 0.9), ("b", "ske", 0.5)),
            _part(("a", "age", 0.8), whole=False),
            _part(("b", "ske", 0.7), whole=False),
            _part(("c", "ske", 0.75), whole=False),
            _part(("d", "dbs_health", SUGGEST - 0.01), whole=False),
        ],
        Entities(),
        CONFIG,
    )
    assert [c.entry for c in match.other_questions] == ["b"]


def _clause(entry: str, score: float, order: int) -> Part:
    return Part(f"clause {order}", (Candidate(entry, entry, score),), order=order)


def test_of_two_level_clauses_the_first_asked_is_taken() -> None:
    whole = _part(("a", "age", 0.5))
    first, second = _clause("first", 0.7, 0), _clause("second", 0.7 + LEVEL_MARGIN / 2, 1)
    match = decide("q", (whole, first, second), Entities(), CONFIG)
    assert match.best is not None
    assert match.best.entry == "first"
    assert [c.entry for c in match.other_questions] == ["second"]


def test_a_clearly_better_later_clause_still_wins() -> None:
    whole = _part(("a", "age", 0.5))
    first, second = _clause("first", 0.7, 0), _clause("second", 0.7 + LEVEL_MARGIN * 2, 1)
    match = decide("q", (whole, first, second), Entities(), CONFIG)
    assert match.best is not None
    assert match.best.entry == "second"


def test_the_whole_message_keeps_its_place_when_best() -> None:
    whole = _part(("a", "age", 0.72))
    match = decide("q", (whole, _clause("first", 0.7, 0)), Entities(), CONFIG)
    assert match.best is not None
    assert match.best.entry == "a"
