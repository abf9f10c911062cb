"""Turning ranked entries into an outcome: answer, suggest, no match or out of scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.config import MatchingConfig
from bot.matching.entities import Entities

OUT_OF_SCOPE_TOPIC = "out_of_scope"
MAX_ALTERNATIVES = 3
MAX_OTHER_QUESTIONS = 3
# Alternatives may sit a little under the suggestion line: a near miss is still a useful button.
ALTERNATIVE_FLOOR = 0.8
# An off-topic entry this close to the suggestion line, and ahead of everything in scope, still declines.
OUT_OF_SCOPE_FLOOR = 0.6
# Clauses whose best scores are this close count as level, and the first one asked is taken.
LEVEL_MARGIN = 0.04


class MatchStatus(StrEnum):
    """What the matcher concluded about a question."""

    ANSWERED = "answered"
    SUGGESTED = "suggested"
    NO_MATCH = "no_match"
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One answer entry the matcher considered: its fused score, and the evidence of each signal."""

    entry: str
    topic: str
    score: float
    phrasing: str = ""  # the phrasing whose words fitted best
    lexical: float = 0.0  # the word-overlap score
    semantic: float = 0.0  # the best cosine between the question and one of the entry's phrasings
    semantic_phrasing: str = ""  # that phrasing


@dataclass(frozen=True, slots=True)
class Part:
    """The ranked entries for one piece of a question: the whole message, or one of its clauses."""

    text: str
    ranked: tuple[Candidate, ...]
    whole: bool = False
    order: int = 0  # where the piece starts in the message, for telling which was asked first


@dataclass(frozen=True, slots=True)
class Match:
    """The matcher's verdict on one question."""

    question: str
    status: MatchStatus
    best: Candidate | None
    alternatives: tuple[Candidate, ...]
    entities: Entities
    other_questions: tuple[Candidate, ...] = ()
    runner_up: Candidate | None = None  # the next entry in the piece the best came from, for the margin
    part: str = ""  # the piece of the question the best came from


def decide(question: str, parts: Sequence[Part], entities: Entities, config: MatchingConfig) -> Match:
    """Applies the thresholds to the ranked pieces of a question and returns the verdict."""
    chosen = _choose_part(parts, config)
    if chosen is None:
        return Match(question, MatchStatus.NO_MATCH, None, (), entities)
    best = chosen.ranked[0]
    runner_up = chosen.ranked[1] if len(chosen.ranked) > 1 else None
    return Match(
        question=question,
        status=_status(best, runner_up, config),
        best=best,
        alternatives=_alternatives(parts, best, config),
        entities=entities,
        other_questions=_other_questions(parts, best, config),
        runner_up=runner_up,
        part=chosen.text,
    )


def out_of_scope(question: str, entities: Entities) -> Match:
    """Returns the verdict for a message with nothing in it the knowledge could be about."""
    return Match(question, MatchStatus.OUT_OF_SCOPE, None, (), entities)


def _status(best: Candidate, runner_up: Candidate | None, config: MatchingConfig) -> MatchStatus:
    margin = best.score - (runner_up.score if runner_up else 0.0)
    if best.topic == OUT_OF_SCOPE_TOPIC and _declines(best, runner_up, margin, config):
        return MatchStatus.OUT_OF_SCOPE
    if best.score < config.suggest_threshold:
        return MatchStatus.NO_MATCH
    if best.score >= config.answer_threshold and margin >= config.answer_margin - 1e-9:
        return MatchStatus.ANSWERED
    return MatchStatus.SUGGESTED


def _declines(best: Candidate, runner_up: Candidate | None, margin: float, config: MatchingConfig) -> bool:
    """A refusal wins in the suggestion band, and below it when it is clearly ahead of anything in scope."""
    if best.score >= config.suggest_threshold:
        return True
    in_scope_behind = (
        runner_up is None or runner_up.topic == OUT_OF_SCOPE_TOPIC or margin >= config.answer_margin
    )
    return best.score >= config.suggest_threshold * OUT_OF_SCOPE_FLOOR and in_scope_behind


def _choose_part(parts: Sequence[Part], config: MatchingConfig) -> Part | None:
    """The piece with the highest top score; an in-scope piece that would be answered beats a refusal."""
    ranked = sorted((p for p in parts if p.ranked), key=lambda p: -p.ranked[0].score)
    if not ranked:
        return None
    ranked.insert(0, ranked.pop(ranked.index(_first_level(ranked))))
    if ranked[0].ranked[0].topic == OUT_OF_SCOPE_TOPIC:
        for part in ranked[1:]:
            top = part.ranked[0]
            runner = part.ranked[1] if len(part.ranked) > 1 else None
            if top.topic != OUT_OF_SCOPE_TOPIC and _status(top, runner, config) is MatchStatus.ANSWERED:
                return part
    return ranked[0]


def _first_level(ranked: list[Part]) -> Part:
    """Among clauses level with the best piece, the one asked first: people tend to lead with their main
    question. The whole message keeps its place when it is the best piece."""
    best = ranked[0]
    if best.whole:
        return best
    level = [p for p in ranked if not p.whole and p.ranked[0].score >= best.ranked[0].score - LEVEL_MARGIN]
    return min(level, key=lambda p: p.order)


def _alternatives(parts: Sequence[Part], best: Candidate, config: MatchingConfig) -> tuple[Candidate, ...]:
    """The next best distinct in-scope entries over all pieces, near or above the suggestion line."""
    top: dict[str, Candidate] = {}
    for part in parts:
        for candidate in part.ranked:
            kept = top.get(candidate.entry)
            if kept is None or candidate.score > kept.score:
                top[candidate.entry] = candidate
    floor = config.suggest_threshold * ALTERNATIVE_FLOOR
    ordered = sorted(top.values(), key=lambda c: (-c.score, c.entry))
    chosen = [
        c for c in ordered if c.entry != best.entry and c.topic != OUT_OF_SCOPE_TOPIC and c.score >= floor
    ]
    return tuple(chosen[: min(MAX_ALTERNATIVES, config.suggestions)])


def _other_questions(parts: Sequence[Part], best: Candidate, config: MatchingConfig) -> tuple[Candidate, ...]:
    """The best entries of the other clauses, one per topic, for "you also asked about" buttons."""
    found: list[Candidate] = []
    topics = {best.topic}
    for part in parts:
        if part.whole or not part.ranked:
            continue
        top = part.ranked[0]
        if top.score >= config.suggest_threshold and top.topic not in topics and top.entry != best.entry:
            topics.add(top.topic)
            found.append(top)
    return tuple(found[:MAX_OTHER_QUESTIONS])
