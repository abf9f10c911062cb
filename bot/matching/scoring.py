"""Scoring every answer entry against one normalised piece of a question, on a 0 to 1 scale.

Word overlaps are summed for every phrasing and entry at once, in one count over the index's numpy postings;
only the leading entries are then compared character by character, in one rapidfuzz call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import mul
from typing import NamedTuple, cast

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


class _Fits(NamedTuple):
    """The phrasings that share a word with the query, in index order, and how well each entry fits."""

    # A named tuple, as one is built for every ranking and costs less to build than a frozen dataclass.
    phrasings: _Ints
    scores: _Floats  # each phrasing's recall-leaning F-score of weighted overlap
    owners: _Ints  # the entry of each phrasing
    best: _Floats  # every entry's highest F-score, 0 where no phrasing shares a word


def rank(index: Index, query: Normalised, topics: Mapping[str, float], limit: int) -> tuple[Scored, ...]:
    """Returns the best-scoring entries for the query, highest first, ties broken by entry order.

    topics maps a topic the question points to (by a route or degree class it names) to how many topic
    bonuses its entries get.
    """
    read = _read(index, query, topics)
    if read is None:
        return ()
    shortlist = _shortlist(index, read, _keyword_hits(index, query), max(SHORTLIST, limit))
    closest = _closest(index, query, [entry for _, entry, _ in shortlist])
    scored = [
        Scored(entry, round(min(1.0, max(0.0, lexical + FUZZY_WEIGHT * fuzzy)), 4), phrasing)
        for (lexical, entry, phrasing), fuzzy in zip(shortlist, closest, strict=True)
    ]
    scored.sort(key=lambda s: (-s.score, s.entry))
    return tuple(scored[:limit])


def _read(index: Index, query: Normalised, topics: Mapping[str, float]) -> _Query | None:
    """The query's weighted words, or None when none of them is a telling word of the knowledge."""
    weights = {t: index.weight(t) for t in query.tokens}
    mass = sum(weights.values())
    telling = tuple((t, w) for t, w in weights.items() if w and t in index.weights)
    if mass <= 0 or not telling:
        return None
    return _Query(telling, mass, topics)


def _shortlist(
    index: Index, query: _Query, keywords: dict[int, float], depth: int
) -> list[tuple[float, int, int]]:
    """The depth entries with the highest word-overlap scores as (score, entry, phrasing), best first,
    level scores in entry order."""
    count = len(index.phrasings)
    sums = _sums(index, query.known)
    fits = _fits(index, query, sums[:count])
    if fits is None:
        return []
    # Every phrasing sharing a word has a positive F-score, so these are the entries sharing one.
    entries = fits.best.nonzero()[0]
    lexical = _lexical(index, query, fits.best, sums[count:], keywords)[entries]
    order = (-lexical).argsort(kind="stable")[:depth]
    chosen = entries[order]
    found = _best_phrasings(index, query, fits, chosen)
    return list(zip(lexical[order].tolist(), chosen.tolist(), found, strict=True))


def _sums(index: Index, known: tuple[tuple[str, float], ...]) -> _Floats:
    """Per phrasing and then per entry, the summed weight of the query's words it holds.

    bincount adds the weights one by one in the order asked, just as a running total would, so every sum
    rounds the same way whatever the number of holders.
    """
    found = [index.postings[t] for t, _ in known if t in index.postings]
    size = len(index.phrasings) + len(index.entries)
    if not found:
        return np.zeros(size)
    holders = np.concatenate([p.holders for p in found])
    weights = np.concatenate([p.weights for p in found])
    return cast("_Floats", np.bincount(holders, weights=weights, minlength=size))


def _fits(index: Index, query: _Query, shared: _Floats) -> _Fits | None:
    """Every phrasing's F-score against the query, given the weight of the query's words each holds, and
    each entry's best, or None when no phrasing shares a word with it."""
    phrasings = shared.nonzero()[0]
    if not phrasings.size:
        return None
    overlap = shared[phrasings]
    scores = _f_score(overlap / index.phrasing_mass[phrasings], overlap / query.mass)
    owners = index.phrasing_entry[phrasings]
    best = np.zeros(len(index.entries))
    np.maximum.at(best, owners, scores)
    return _Fits(phrasings, scores, owners, best)


def _lexical(
    index: Index, query: _Query, overlap: _Floats, covered: _Floats, keywords: dict[int, float]
) -> _Floats:
    """The word-overlap score of every entry, given its best overlap with one phrasing and the weight of
    the query's words it holds."""
    lexical = PHRASING_WEIGHT * overlap + COVERAGE_WEIGHT * covered / query.mass
    # Added in this order, the sums round as a running total would; adding no bonus is adding 0.0, which
    # changes no score.
    for entry, weight in keywords.items():
        lexical[entry] += KEYWORD_WEIGHT * weight
    named = [(index.topics[t], count) for t, count in query.topics.items() if t in index.topics]
    if named:
        bonuses = np.zeros(len(index.topics))
        for code, count in named:
            bonuses[code] = count
        lexical += TOPIC_BONUS * bonuses[index.entry_topic]
    return lexical


def _best_phrasings(index: Index, query: _Query, fits: _Fits, chosen: _Ints) -> list[int]:
    """For each chosen entry, its phrasing with the highest F-score.

    Level phrasings go to the one that shared a word soonest, in the order the query's words were asked,
    and then to the earlier phrasing.
    """
    at_best = (fits.scores == fits.best[fits.owners]).nonzero()[0]
    # Phrasings are numbered entry by entry, so each entry's phrasings at their best lie together.
    owners = fits.owners[at_best]
    lows = owners.searchsorted(chosen, side="left").tolist()
    highs = owners.searchsorted(chosen, side="right").tolist()
    level = fits.phrasings[at_best].tolist()
    return [
        level[low] if high - low == 1 else _first_shared(index, query, level[low:high])
        for low, high in zip(lows, highs, strict=True)
    ]


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
    texts = [text for entry in entries for text in index.fuzzy_texts[entry]]
    asked = " ".join(sorted(query.tokens))
    ratios = process.cdist([asked], texts, scorer=fuzz.token_set_ratio, dtype=np.float64)[0].tolist()
    factors = _length_factors(len(query.tokens), index.max_size).__getitem__
    closest = []
    start = 0
    # A handful of phrasings per entry: plain Python beats numpy's fixed cost per call here.
    for entry in entries:
        sizes = index.fuzzy_sizes[entry]
        end = start + len(sizes)
        closest.append(max(map(mul, ratios[start:end], map(factors, sizes))) / 100)
        start = end
    return closest


@lru_cache(maxsize=256)
def _length_factors(query: int, longest: int) -> tuple[float, ...]:
    """The length discount for every phrasing size up to longest against a question of this many words."""
    return tuple(_length_factor(query, size) for size in range(longest + 1))


def _length_factor(query: int, phrasing: int) -> float:
    """Discounts subset matches: a question shorter than the phrasing leaves much of it unsaid."""
    if not query or not phrasing:
        return 0.0
    shorter: float = min(1.0, query / phrasing) ** 0.5
    longer: float = min(1.0, phrasing / query) ** 0.25
    return shorter * longer
