"""Scoring every answer entry against one normalised piece of a question, on a 0 to 1 scale."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.matching.index import Index
from bot.matching.normalise import Normalised

# How the signals add up (tuned on sample questions); a question worded like a phrasing scores about 1.
PHRASING_WEIGHT = 0.46  # the best weighted word overlap with one phrasing
COVERAGE_WEIGHT = 0.12  # how much of the question the entry's words explain at all
FUZZY_WEIGHT = 0.23  # rapidfuzz similarity to the closest phrasing
KEYWORD_WEIGHT = 0.14  # telling keywords of the entry appear (their weights summed, at most 1)
TOPIC_BONUS = 0.06  # the question names a route (or similar) whose topic the entry is about
# How much recall of a phrasing counts against precision (the F-beta's beta squared). Under 1, a short
# generic phrasing that the question merely contains ("What is a SCITT?") no longer beats a sibling that
# also matches what is asked.
RECALL_BIAS = 0.7
# Only this many leading entries are compared character by character, which keeps scoring fast.
SHORTLIST = 6


@dataclass(frozen=True, slots=True)
class Scored:
    """One entry's score for one piece of a question, with the phrasing that fitted best."""

    entry: int
    score: float
    phrasing: int


def rank(index: Index, query: Normalised, topics: Mapping[str, float], limit: int) -> tuple[Scored, ...]:
    """Returns the best-scoring entries for the query, highest first, ties broken by entry order.

    topics maps a topic the question points to (by a route or degree class it names) to how many topic
    bonuses its entries get.
    """
    if not query.tokens:
        return ()
    weights = {t: index.weight(t) for t in query.tokens}
    mass = sum(weights.values())
    if mass <= 0:
        return ()
    lexical = _lexical(index, query, weights, topics)
    shortlist = sorted(lexical.items(), key=lambda item: (-item[1][0], item[0]))[: max(SHORTLIST, limit)]
    scored = [_with_fuzzy(index, query, entry, value, phrasing) for entry, (value, phrasing) in shortlist]
    scored.sort(key=lambda s: (-s.score, s.entry))
    return tuple(scored[:limit])


def _lexical(
    index: Index, query: Normalised, weights: dict[str, float], topics: Mapping[str, float]
) -> dict[int, tuple[float, int]]:
    """Word-overlap score per entry touched by the query, with the best phrasing's number."""
    mass = sum(weights.values())
    best = _best_phrasings(index, weights, mass)
    coverage = _accumulate(index.entry_postings, index, weights)
    keywords = _keyword_hits(index, query)
    lexical: dict[int, tuple[float, int]] = {}
    for entry, (overlap, phrasing) in best.items():
        value = (
            PHRASING_WEIGHT * overlap
            + COVERAGE_WEIGHT * coverage.get(entry, 0.0) / mass
            + KEYWORD_WEIGHT * keywords.get(entry, 0.0)
        )
        value += TOPIC_BONUS * topics.get(index.entries[entry].topic, 0.0)
        lexical[entry] = (value, phrasing)
    return lexical


def _accumulate(
    postings: dict[str, tuple[int, ...]], index: Index, weights: dict[str, float]
) -> dict[int, float]:
    totals: dict[int, float] = defaultdict(float)
    for token, weight in weights.items():
        if weight and token in index.weights:
            for number in postings.get(token, ()):
                totals[number] += weight
    return totals


def _best_phrasings(index: Index, weights: dict[str, float], mass: float) -> dict[int, tuple[float, int]]:
    """Per entry, the best recall-leaning F-score of weighted overlap with one of its phrasings."""
    best: dict[int, tuple[float, int]] = {}
    bias = RECALL_BIAS
    for number, shared in _accumulate(index.phrasing_postings, index, weights).items():
        phrasing = index.phrasings[number]
        recall = shared / phrasing.mass
        precision = shared / mass
        value = (1 + bias) * recall * precision / (bias * precision + recall)
        current = best.get(phrasing.entry)
        if current is None or value > current[0]:
            best[phrasing.entry] = (value, number)
    return best


def _keyword_hits(index: Index, query: Normalised) -> dict[int, float]:
    """Per entry, the summed weight of its keywords the query names, so an entry matching both the thing
    asked about and what is asked of it beats a sibling matching only the thing."""
    present = frozenset(query.tokens)
    hits: dict[int, float] = {}
    for token in query.tokens:
        for keyword in index.keywords.get(token, ()):
            if keyword.tokens <= present:
                hits[keyword.entry] = hits.get(keyword.entry, 0.0) + keyword.weight
    return {entry: min(1.0, value) for entry, value in hits.items()}


def _with_fuzzy(index: Index, query: Normalised, entry: int, lexical: float, phrasing: int) -> Scored:
    """Adds the closest character-level similarity to any of the entry's phrasings."""
    closest, fuzzy = phrasing, 0.0
    size = len(query.tokens)
    for number in index.entries[entry].phrasings:
        candidate = index.phrasings[number]
        similarity = (
            fuzz.token_set_ratio(query.text, candidate.text) * _length_factor(size, candidate.size) / 100
        )
        if similarity > fuzzy:
            closest, fuzzy = number, similarity
    best_phrasing = phrasing if lexical > 0 else closest
    return Scored(entry, round(min(1.0, max(0.0, lexical + FUZZY_WEIGHT * fuzzy)), 4), best_phrasing)


def _length_factor(query: int, phrasing: int) -> float:
    """Discounts subset matches: a question shorter than the phrasing leaves much of it unsaid."""
    if not query or not phrasing:
        return 0.0
    shorter: float = min(1.0, query / phrasing) ** 0.5
    longer: float = min(1.0, phrasing / query) ** 0.25
    return shorter * longer
