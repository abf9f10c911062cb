"""The precomputed search structures for a Knowledge: normalised phrasings, word weights and postings.

The postings are numpy arrays so that scoring can add up a question's words for every phrasing and entry at
once instead of entry by entry.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.knowledge.model import AnswerEntry, Knowledge
from bot.matching.normalise import Normaliser

# A word the knowledge never uses still counts in a question's length, but less than a rare domain word.
UNKNOWN_WEIGHT = 0.5
# Numbers (ages, years, grades) say little about which question is asked.
NUMBER_WEIGHT = 0.15
# Words in most entries ("teach", "train") weigh nothing: they cannot tell entries apart, and skipping them
# keeps scoring fast.
COMMON_FLOOR = 0.12
# A route's name says which thing a question is about, seldom what it asks ("student finance for a SCITT"),
# so words that only name a route weigh this share of what their rarity alone would give.
NAME_SHARE = 0.7
# Typos are corrected only in words this long, to a known word this similar (one edit in five letters).
_TYPO_MIN_LENGTH = 5
_TYPO_SIMILARITY = 0.8
_TYPO_CACHE_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class Phrasing:
    """One way an entry is asked, normalised for scoring."""

    entry: int
    wording: str
    text: str
    tokens: frozenset[str]
    mass: float
    size: int


@dataclass(frozen=True, slots=True)
class Keyword:
    """One keyword of an entry, normalised, with how telling it is across entries."""

    entry: int
    tokens: frozenset[str]
    weight: float


@dataclass(frozen=True, slots=True)
class IndexedEntry:
    """One answer entry as the scorer sees it."""

    id: str
    topic: str
    question: str
    phrasings: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Posting:
    """The phrasings and entries holding one word, and its weight repeated for each, ready to count."""

    holders: npt.NDArray[np.intp]
    weights: npt.NDArray[np.float64]


class Index:
    """Everything about the answer entries that can be worked out once, before any question arrives."""

    def __init__(self, knowledge: Knowledge, normaliser: Normaliser) -> None:
        answers = [knowledge.answers[key] for key in sorted(knowledge.answers)]
        self.normaliser = normaliser
        raw: list[tuple[int, str, tuple[str, ...]]] = []
        entries: list[IndexedEntry] = []
        for number, answer in enumerate(answers):
            start = len(raw)
            raw.extend(
                (number, wording, normaliser.normalise(wording).tokens) for wording in wordings(answer)
            )
            entries.append(
                IndexedEntry(answer.id, answer.topic, answer.question, tuple(range(start, len(raw))))
            )
        self.entries: tuple[IndexedEntry, ...] = tuple(entries)
        keywords = [(n, normaliser.normalise(k).tokens) for n, a in enumerate(answers) for k in a.keywords]
        vocabularies = _vocabularies(len(answers), raw, keywords)
        self.weights = _weights(vocabularies, _name_words(knowledge, normaliser))
        self.phrasings = tuple(
            Phrasing(
                n,
                wording,
                " ".join(tokens),
                frozenset(tokens),
                sum(self.weights[t] for t in set(tokens)),
                len(tokens),
            )
            for n, wording, tokens in raw
        )
        # Per telling word, the phrasings that use it and then the entries whose words hold it (numbered
        # after the phrasings), so one count sums a question's words for both.
        self.postings = _postings(
            [p.tokens for p in self.phrasings], vocabularies, len(self.phrasings), self.weights
        )
        self.phrasing_entry = np.array([p.entry for p in self.phrasings], dtype=np.intp)
        self.phrasing_mass = np.array([p.mass for p in self.phrasings], dtype=np.float64)
        self.max_size = max((p.size for p in self.phrasings), default=0)
        self.topics = {topic: code for code, topic in enumerate(sorted({e.topic for e in self.entries}))}
        self.entry_topic = np.array([self.topics[e.topic] for e in self.entries], dtype=np.intp)
        # The character-level score reads words as a set, so the words are sorted once here, which spares
        # it some work on every question and changes no score.
        self.fuzzy_texts = tuple(
            tuple(" ".join(sorted(self.phrasings[n].tokens)) for n in e.phrasings) for e in self.entries
        )
        self.fuzzy_sizes = tuple(tuple(self.phrasings[n].size for n in e.phrasings) for e in self.entries)
        self.keywords = _keywords(keywords, self.weights)
        self._known = frozenset(self.weights) | normaliser.fold_words | normaliser.stop_stems
        self._buckets = _buckets(self._known)
        self._corrections: dict[str, str] = {}
        self._reach: dict[tuple[str, int], tuple[str, ...]] = {}

    def weight(self, token: str) -> float:
        """Returns how telling a token is, from 0 (in every entry) to 1 (in one entry)."""
        return self.weights.get(token, NUMBER_WEIGHT if token.isdigit() else UNKNOWN_WEIGHT)

    def correct(self, stems: tuple[str, ...]) -> tuple[str, ...]:
        """Replaces unknown, probably misspelt words with the closest known word."""
        return tuple(self._correct_one(s) for s in stems)

    def _correct_one(self, token: str) -> str:
        if len(token) < _TYPO_MIN_LENGTH or token in self._known or not token.isalpha():
            return token
        cached = self._corrections.get(token)
        if cached is not None:
            return cached
        bucket = self._within_reach(token[0], len(token))
        found = process.extractOne(
            token, bucket, scorer=OSA.normalized_similarity, score_cutoff=_TYPO_SIMILARITY
        )
        corrected = found[0] if found else token
        if len(self._corrections) < _TYPO_CACHE_LIMIT:
            self._corrections[token] = corrected
        return corrected

    def _within_reach(self, first: str, length: int) -> tuple[str, ...]:
        """The known words starting with this letter whose length lets them be similar enough to a word
        of this length: one edit in five letters allows four fifths to five quarters of its length, and
        one letter of room either side keeps rounding from dropping a word that just qualifies."""
        found = self._reach.get((first, length))
        if found is None:
            shortest, longest = int(length * _TYPO_SIMILARITY) - 1, int(length / _TYPO_SIMILARITY) + 1
            bucket = self._buckets.get(first, ())
            found = tuple(word for word in bucket if shortest <= len(word) <= longest)
            self._reach[first, length] = found
        return found


def wordings(answer: AnswerEntry) -> list[str]:
    """Every distinct way an entry is asked: its question, its examples and the real questions asked of it."""
    # A real question is read with its line breaks as spaces, as a message is.
    asked = (" ".join(q.text.split()) for q in answer.asked)
    return list(dict.fromkeys(w for w in (answer.question, *answer.examples, *asked) if w.strip()))


def _vocabularies(
    count: int, raw: list[tuple[int, str, tuple[str, ...]]], keywords: list[tuple[int, tuple[str, ...]]]
) -> list[frozenset[str]]:
    words: list[set[str]] = [set() for _ in range(count)]
    for number, _, tokens in raw:
        words[number].update(tokens)
    for number, tokens in keywords:
        words[number].update(tokens)
    return [frozenset(w) for w in words]


def _name_words(knowledge: Knowledge, normaliser: Normaliser) -> frozenset[str]:
    """The one-word route names ("scitt", "pgta"): they say what a question is about, not what it asks."""
    names = (normaliser.normalise(n).tokens for r in knowledge.routes.values() for n in (r.name, *r.aliases))
    return frozenset(tokens[0] for tokens in names if len(tokens) == 1)


def _weights(vocabularies: list[frozenset[str]], names: frozenset[str] = frozenset()) -> dict[str, float]:
    """Inverse document frequency over entries, scaled so a word found in one entry weighs 1."""
    frequency: dict[str, int] = defaultdict(int)
    for vocabulary in vocabularies:
        for token in vocabulary:
            frequency[token] += 1
    total = len(vocabularies)
    top = math.log((total + 1) / 1.5)
    if top <= 0:
        return {t: NUMBER_WEIGHT if t.isdigit() else 1.0 for t in frequency}
    weights = {
        t: math.log((total + 1) / (df + 0.5)) / top * (NAME_SHARE if t in names else 1.0)
        for t, df in frequency.items()
    }
    return {
        t: NUMBER_WEIGHT if t.isdigit() else (w if w >= COMMON_FLOOR else 0.0) for t, w in weights.items()
    }


def _keywords(
    keywords: list[tuple[int, tuple[str, ...]]], weights: dict[str, float]
) -> dict[str, tuple[Keyword, ...]]:
    """Keywords filed under their least common word; a keyword of common words tells little."""
    filed: dict[str, dict[tuple[int, frozenset[str]], Keyword]] = defaultdict(dict)
    for number, tokens in keywords:
        if not tokens:
            continue
        words = frozenset(tokens)
        weight = min(1.0, sum(weights[t] for t in words))
        filed[min(words)][(number, words)] = Keyword(number, words, weight)
    return {first: tuple(found.values()) for first, found in sorted(filed.items())}


def _postings(
    phrasings: list[frozenset[str]], entries: list[frozenset[str]], offset: int, weights: dict[str, float]
) -> dict[str, Posting]:
    """Per telling word, the ascending numbers of the phrasings that hold it, then of the entries that hold
    it plus offset, with the word's weight once for each."""
    found: dict[str, list[int]] = defaultdict(list)
    for start, holders in ((0, phrasings), (offset, entries)):
        for number, tokens in enumerate(holders, start):
            for token in tokens:
                if weights[token]:
                    found[token].append(number)
    return {
        token: Posting(np.array(numbers, dtype=np.intp), np.full(len(numbers), weights[token]))
        for token, numbers in found.items()
    }


def _buckets(known: frozenset[str]) -> dict[str, tuple[str, ...]]:
    buckets: dict[str, list[str]] = defaultdict(list)
    for token in sorted(known):
        if token:
            buckets[token[0]].append(token)
    return {first: tuple(tokens) for first, tokens in buckets.items()}
