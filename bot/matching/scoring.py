"""Scoring every answer entry against one normalised piece of a question, on a 0 to 1 scale.

Word overlaps are summed for every phrasing and entry at once from the index's numpy postings; only the
leading entries are then compared character by character.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import cast

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

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

_Floats = npt.NDArray[np.float64]
_Ints = npt.NDArray[np.intp]


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


@dataclass(frozen=True, slots=True)
class _Fits:
    """The phrasings that share a word with the query, grouped by entry (both in index order)."""

    phrasings: _Ints
    scores: _Floats  # each phrasing's recall-leaning F-score of weighted overlap
    starts: _Ints  # where each entry's phrasings begin
    entries: _Ints
    best: _Floats  # each entry's highest F-score


def rank(index: Index, query: Normalised, topics: Mapping[str, float], limit: int) -> tuple[Scored, ...]:
    """Returns the best-scoring entries for the query, highest first, ties broken by entry order.

    topics maps a topic the question points to (by a route or degree class it names) to how many topic
    bonuses its entries get.
    """
    if not query.tokens:
        return ()
    weights = {t: index.weight(t) for t in query.tokens}
    mass = sum(weights.values())
    known = tuple((t, w) for t, w in weights.items() if w and t in index.weights)
    if mass <= 0 or not known:
        return ()
    shortlist = _shortlist(
        index, _Query(known, mass, topics), _keyword_hits(index, query), max(SHORTLIST, limit)
    )
    closest = _closest(index, query, [entry for _, entry, _ in shortlist])
    scored = [
        Scored(entry, round(min(1.0, max(0.0, lexical + FUZZY_WEIGHT * fuzzy)), 4), phrasing)
        for (lexical, entry, phrasing), fuzzy in zip(shortlist, closest, strict=True)
    ]
    scored.sort(key=lambda s: (-s.score, s.entry))
    return tuple(scored[:limit])


def _shortlist(
    index: Index, query: _Query, keywords: dict[int, float], depth: int
) -> list[tuple[float, int, int]]:
    """The depth entries with the highest word-overlap scores as (score, entry, phrasing), best first,
    level scores in entry order."""
    fits = _fits(index, query)
    if fits is None:
        return []
    lexical = _lexical(index, query, fits.entries, fits.best, keywords)
    chosen = _top(lexical, depth)
    phrasings = _best_phrasings(index, query, fits, chosen)
    return [
        (float(lexical[i]), int(fits.entries[i]), phrasing)
        for i, phrasing in zip(chosen, phrasings, strict=True)
    ]


def _sums(postings: dict[str, _Ints], known: tuple[tuple[str, float], ...], size: int) -> _Floats:
    """Per entry or phrasing, the summed weight of the query's words it holds.

    bincount adds the weights one by one in the order asked, just as a running total would, so every sum
    rounds the same way whatever the number of holders.
    """
    found = [(postings[t], w) for t, w in known if t in postings]
    if not found:
        return np.zeros(size)
    holders = np.concatenate([held for held, _ in found])
    weights = np.repeat([w for _, w in found], [len(held) for held, _ in found])
    return cast("_Floats", np.bincount(holders, weights=weights, minlength=size))


def _fits(index: Index, query: _Query) -> _Fits | None:
    """Every phrasing's F-score against the query, and each entry's best, or None when no phrasing shares
    a word with it."""
    shared = _sums(index.phrasing_postings, query.known, len(index.phrasings))
    phrasings = np.flatnonzero(shared)
    if not phrasings.size:
        return None
    overlap = shared[phrasings]
    scores = _f_score(overlap / index.phrasing_mass[phrasings], overlap / query.mass)
    owners = index.phrasing_entry[phrasings]
    starts = np.concatenate(([0], np.flatnonzero(owners[1:] != owners[:-1]) + 1))
    return _Fits(phrasings, scores, starts, owners[starts], np.maximum.reduceat(scores, starts))


def _lexical(
    index: Index, query: _Query, entries: _Ints, overlap: _Floats, keywords: dict[int, float]
) -> _Floats:
    """The word-overlap score of each entry, given its best overlap with one phrasing."""
    covered = _sums(index.entry_postings, query.known, len(index.entries))[entries]
    named = np.zeros(len(index.entries))
    for entry, weight in keywords.items():
        named[entry] = weight
    bonuses = np.zeros(len(index.topics))
    for topic, count in query.topics.items():
        if topic in index.topics:
            bonuses[index.topics[topic]] = count
    # Added in this order, and with nothing added as 0.0, the sums round as a running total would.
    return (
        PHRASING_WEIGHT * overlap
        + COVERAGE_WEIGHT * covered / query.mass
        + KEYWORD_WEIGHT * named[entries]
        + TOPIC_BONUS * bonuses[index.entry_topic[entries]]
    )


def _top(values: _Floats, depth: int) -> _Ints:
    """The positions of the depth highest values, highest first, level values in position order."""
    if values.size > depth:
        floor = np.partition(values, values.size - depth)[values.size - depth]
        kept = np.flatnonzero(values >= floor)
    else:
        kept = np.arange(values.size)
    return kept[np.argsort(-values[kept], kind="stable")][:depth]


def _best_phrasings(index: Index, query: _Query, fits: _Fits, chosen: _Ints) -> list[int]:
    """For each chosen entry, its phrasing with the highest F-score.

    Level phrasings go to the one that shared a word soonest, in the order the query's words were asked,
    and then to the earlier phrasing.
    """
    ends = np.append(fits.starts[1:], fits.phrasings.size)
    at_best = np.flatnonzero(fits.scores == np.repeat(fits.best, ends - fits.starts))
    lows = np.searchsorted(at_best, fits.starts[chosen])
    highs = np.searchsorted(at_best, ends[chosen])
    found = []
    for low, high in zip(lows.tolist(), highs.tolist(), strict=True):
        level = fits.phrasings[at_best[low:high]].tolist()
        found.append(level[0] if len(level) == 1 else _first_shared(index, query, level))
    return found


def _first_shared(index: Index, query: _Query, level: list[int]) -> int:
    """Of level phrasings, the one holding the earliest of the query's words, then the earlier one."""
    words = [token for token, _ in query.known]
    return min(level, key=lambda p: (min(words.index(t) for t in index.phrasings[p].tokens if t in words), p))


def _f_score(recall: _Floats, precision: _Floats) -> _Floats:
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


def _closest(index: Index, query: Normalised, entries: list[int]) -> list[float]:
    """Per entry, the closest character-level similarity (0 to 1) to any of its phrasings, discounted for
    length."""
    if not entries:
        return []
    texts = list(chain.from_iterable(index.fuzzy_texts[e] for e in entries))
    asked = " ".join(sorted(query.tokens))
    ratios = process.cdist([asked], texts, scorer=fuzz.token_set_ratio, dtype=np.float64)[0]
    phrasings = np.concatenate([index.entries[e].phrasings for e in entries])
    discounted = ratios * _length_factors(len(query.tokens), index.max_size)[index.phrasing_size[phrasings]]
    sizes = index.fuzzy_starts[1:][entries] - index.fuzzy_starts[entries]
    starts = np.concatenate(([0], np.cumsum(sizes[:-1])))
    return cast("list[float]", (np.maximum.reduceat(discounted, starts) / 100).tolist())


@lru_cache(maxsize=256)
def _length_factors(query: int, longest: int) -> _Floats:
    """The length discount for every phrasing size up to longest against a question of this many words."""
    factors = np.array([_length_factor(query, size) for size in range(longest + 1)])
    factors.setflags(write=False)
    return factors


def _length_factor(query: int, phrasing: int) -> float:
    """Discounts subset matches: a question shorter than the phrasing leaves much of it unsaid."""
    if not query or not phrasing:
        return 0.0
    shorter: float = min(1.0, query / phrasing) ** 0.5
    longer: float = min(1.0, phrasing / query) ** 0.25
    return shorter * longer
