"""Scoring every answer entry against one normalised piece of a question, on a 0 to 1 scale."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

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
# An entry is skipped when even its best possible word overlap cannot reach the shortlist; the bound gets
# this much room so that rounding never skips an entry that would have made it.
_BOUND_SLACK = 1e-9
# Character-level cutoffs are lowered by this share for the same reason.
_CUTOFF_ROOM = 1 - 1e-9


@dataclass(frozen=True, slots=True)
class Scored:
    """One entry's score for one piece of a question, with the phrasing that fitted best."""

    entry: int
    score: float
    phrasing: int


@dataclass(frozen=True, slots=True)
class _Query:
    """One piece of a question as the word-overlap scores read it."""

    known: tuple[tuple[str, float], ...]  # the weighted words the knowledge uses, in the order asked
    mass: float  # the summed weight of every word, known or not
    topics: Mapping[str, float]


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
    known = tuple((t, w) for t, w in weights.items() if w and t in index.weights)
    read = _Query(known, mass, topics)
    shortlist = _shortlist(index, read, _keyword_hits(index, query), max(SHORTLIST, limit))
    scored = [_with_fuzzy(index, query, entry, value, phrasing) for value, entry, phrasing in shortlist]
    scored.sort(key=lambda s: (-s.score, s.entry))
    return tuple(scored[:limit])


def _shortlist(
    index: Index, query: _Query, keywords: dict[int, float], depth: int
) -> list[tuple[float, int, int]]:
    """The depth entries with the highest word-overlap scores as (score, entry, phrasing), best first.

    Only entries whose upper bound can still beat the entries kept so far are scored in full: first those
    with a keyword or topic bonus, then the rest from the most words covered down, until even an entry
    that recalled a phrasing in full could not make the shortlist.
    """
    coverage, recall = _coverage(index, query.known)
    favoured = {e for e in keywords if e in coverage}
    for topic in query.topics:
        favoured.update(e for e in index.topic_entries.get(topic, ()) if e in coverage)
    kept = _Kept(depth)
    for entry in sorted(favoured):
        _try(index, query, (entry, coverage[entry], recall[entry]), keywords, kept)
    for entry, covered in sorted(coverage.items(), key=itemgetter(1), reverse=True):
        if _ceiling(covered, query.mass) + _BOUND_SLACK < kept.floor:
            break
        if entry not in favoured:
            _try(index, query, (entry, covered, recall[entry]), keywords, kept)
    return kept.ranked()


class _Kept:
    """The best entries so far, as a min-heap of (score, -entry, phrasing) with the worst first."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.heap: list[tuple[float, int, int]] = []
        self.floor = -math.inf  # the score an entry must reach to be kept, once depth entries are

    def offer(self, value: float, entry: int, phrasing: int) -> None:
        """Keeps the entry if it beats the worst kept one; level scores go to the earlier entry."""
        item = (value, -entry, phrasing)
        if len(self.heap) < self.depth:
            heapq.heappush(self.heap, item)
        elif item[:2] > self.heap[0][:2]:
            heapq.heapreplace(self.heap, item)
        if len(self.heap) == self.depth:
            self.floor = self.heap[0][0]

    def ranked(self) -> list[tuple[float, int, int]]:
        """The kept entries as (score, entry, phrasing), highest first, ties by entry order."""
        return [(value, -entry, phrasing) for value, entry, phrasing in sorted(self.heap, reverse=True)]


def _try(
    index: Index, query: _Query, reach: tuple[int, float, float], keywords: dict[int, float], kept: _Kept
) -> None:
    """Scores one entry in full and offers it to the kept ones, unless its bound shows it cannot win.

    reach is the entry's number, the weight of the question's words it covers, and the most of any one
    phrasing that those words could recall.
    """
    entry, covered, recall = reach
    bound = _f_score(min(1.0, recall), covered / query.mass)
    if _lexical(index, query, entry, bound, covered, keywords) + _BOUND_SLACK < kept.floor:
        return
    found = _best_phrasing(index, entry, query)
    if found is not None:
        overlap, phrasing = found
        kept.offer(_lexical(index, query, entry, overlap, covered, keywords), entry, phrasing)


def _ceiling(covered: float, mass: float) -> float:
    """The bound for an entry with no bonuses that recalls a phrasing in full; it grows with coverage."""
    precision = covered / mass
    return PHRASING_WEIGHT * _f_score(1.0, precision) + COVERAGE_WEIGHT * precision


def _lexical(
    index: Index, query: _Query, entry: int, overlap: float, covered: float, keywords: dict[int, float]
) -> float:
    """The word-overlap score of one entry, given its best overlap with one phrasing."""
    value = (
        PHRASING_WEIGHT * overlap
        + COVERAGE_WEIGHT * covered / query.mass
        + KEYWORD_WEIGHT * keywords.get(entry, 0.0)
    )
    return value + TOPIC_BONUS * query.topics.get(index.entries[entry].topic, 0.0)


def _coverage(
    index: Index, known: tuple[tuple[str, float], ...]
) -> tuple[dict[int, float], dict[int, float]]:
    """Per entry, the summed weight of the question's words found anywhere in it, and the sum of the most
    each of those words can add to the recall of one of its phrasings."""
    covered: dict[int, float] = defaultdict(float)
    recall: dict[int, float] = defaultdict(float)
    for token, weight in known:
        for number, share in index.entry_postings.get(token, ()):
            covered[number] += weight
            recall[number] += share
    return covered, recall


def _best_phrasing(index: Index, entry: int, query: _Query) -> tuple[float, int] | None:
    """The entry's best recall-leaning F-score of weighted overlap with one phrasing, and its number."""
    shared: dict[int, float] = {}
    postings = index.entry_phrasing_postings
    for token, weight in query.known:
        for number in postings.get((token, entry), ()):
            shared[number] = shared.get(number, 0.0) + weight
    best: tuple[float, int] | None = None
    for number, overlap in shared.items():
        value = _f_score(overlap / index.phrasings[number].mass, overlap / query.mass)
        if best is None or value > best[0]:
            best = (value, number)
    return best


def _f_score(recall: float, precision: float) -> float:
    bias = RECALL_BIAS
    return (1 + bias) * recall * precision / (bias * precision + recall)


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
    """Adds the closest character-level similarity to any of the entry's phrasings, discounted for length."""
    texts, sizes = index.fuzzy_texts[entry]
    closest = 0.0  # out of 100
    for factor, position in _by_length_factor(len(query.tokens), sizes):
        if factor * 100 <= closest:
            break  # even a perfect match with this phrasing, or any after it, would come out no closer
        # Below this cutoff a phrasing cannot come closer, and rapidfuzz may stop early.
        cutoff = closest / factor * _CUTOFF_ROOM
        ratio = fuzz.token_set_ratio(query.text, texts[position], score_cutoff=cutoff)
        closest = max(closest, ratio * factor)
    fuzzy = closest / 100
    return Scored(entry, round(min(1.0, max(0.0, lexical + FUZZY_WEIGHT * fuzzy)), 4), phrasing)


@lru_cache(maxsize=4096)
def _by_length_factor(query: int, phrasings: tuple[int, ...]) -> tuple[tuple[float, int], ...]:
    """The length discount for each phrasing size against a question of this many words, with each
    phrasing's position, largest discount factor first."""
    factors = ((_length_factor(query, size), position) for position, size in enumerate(phrasings))
    return tuple(sorted(((f, p) for f, p in factors if f > 0), key=lambda pair: (-pair[0], pair[1])))


def _length_factor(query: int, phrasing: int) -> float:
    """Discounts subset matches: a question shorter than the phrasing leaves much of it unsaid."""
    if not query or not phrasing:
        return 0.0
    shorter: float = min(1.0, query / phrasing) ** 0.5
    longer: float = min(1.0, phrasing / query) ** 0.25
    return shorter * longer
