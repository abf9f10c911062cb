"""Turning free text into the token lists the matcher scores: clean, stem, fold synonyms, drop stop words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import utils

# Long pastes are cut here: questions that matter fit well inside, and scoring time stays bounded.
MAX_CHARS = 2000

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_APOSTROPHES = re.compile(r"(?<=\w)['’](?=\w)")
_TAGS = re.compile(r"<[^<>]{0,200}>")
# A question usually ends at ?, ! or a full stop followed by a space; "2.2" and "e.g" stay whole.
_CLAUSE_BREAK = re.compile(r"[?!]+|\.(?=\s|$)|[\n;]+|\band also\b|\balso\b", re.IGNORECASE)

# Suffixes are tried in order; each keeps a stem of at least the given length so short words survive.
_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    ("ies", "y", 3),
    ("ied", "y", 3),
    ("ing", "", 4),
    ("ed", "", 4),
    ("s", "", 3),
)
_KEEP_S = ("ss", "us", "is")


def clean(text: str) -> str:
    """Returns the text cut to a sensible length, with control characters and markup tags removed."""
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2])
    text = _TAGS.sub(" ", _CONTROL.sub(" ", text))
    if len(text) > MAX_CHARS:
        cut = text.rfind(" ", 0, MAX_CHARS)
        text = text[: cut if cut > MAX_CHARS // 2 else MAX_CHARS]
    return text


def words(text: str) -> list[str]:
    """Returns the lower-case alphanumeric words of the text, punctuation and emoji dropped."""
    # "I'm" and "don't" become "im" and "dont", which stop-word lists spell that way.
    return utils.default_process(_APOSTROPHES.sub("", text)).split()


@lru_cache(maxsize=16_384)
def stem(word: str) -> str:
    """Returns a light stem of one lower-case word, so plurals and -ing forms meet their base word."""
    if len(word) <= 3 or not word.isalpha():
        return word
    base = _strip_suffix(word)
    # "change", "changed" and "changing" all end up as "chang".
    return base[:-1] if len(base) > 4 and base.endswith("e") else base


def _strip_suffix(word: str) -> str:
    for suffix, replacement, keep in _SUFFIXES:
        if not word.endswith(suffix) or len(word) - len(suffix) < keep:
            continue
        if suffix == "s":
            return word if word.endswith(_KEEP_S) else word[:-1]
        base = word[: -len(suffix)] + replacement
        if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
            base = base[:-1]
        return base
    return word


def split_clauses(text: str) -> list[str]:
    """Splits a message into its sentences and clauses, dropping empty ones."""
    return [part.strip() for part in _CLAUSE_BREAK.split(text) if part.strip()]


@dataclass(frozen=True, slots=True)
class Normalised:
    """One text prepared for scoring: its informative tokens in order, and those tokens joined."""

    tokens: tuple[str, ...]
    text: str


class Normaliser:
    """Applies the knowledge's synonyms and stop words to text, the same way for questions and phrasings."""

    def __init__(self, synonyms: Mapping[str, Iterable[str]], stop_words: Iterable[str]) -> None:
        self._stops = frozenset(stem(w) for word in stop_words for w in words(word))
        self._folds: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for canonical in sorted(synonyms):
            # A multi-word canonical becomes one token, so "2:1" and "2:2" stay apart once folded.
            target = ("_".join(self.stems(canonical)),)
            for variant in (canonical, *synonyms[canonical]):
                self._add_fold(self.stems(variant), target)
        for options in self._folds.values():
            options.sort(key=lambda pair: -len(pair[0]))

    def _add_fold(self, variant: tuple[str, ...], target: tuple[str, ...]) -> None:
        if not variant or not target[0]:
            return
        options = self._folds.setdefault(variant[0], [])
        if all(existing != variant for existing, _ in options):
            options.append((variant, target))

    @staticmethod
    def stems(text: str) -> tuple[str, ...]:
        """Returns the stemmed words of the text, before synonyms and stop words."""
        return tuple(map(stem, words(text)))

    @property
    def stop_stems(self) -> frozenset[str]:
        """The stemmed stop words."""
        return self._stops

    @property
    def fold_words(self) -> frozenset[str]:
        """Every stemmed word that takes part in a synonym, so typo correction can aim at them."""
        return frozenset(w for options in self._folds.values() for variant, _ in options for w in variant)

    def fold(self, tokens: tuple[str, ...]) -> tuple[str, ...]:
        """Replaces each synonym variant (longest first) with its canonical words."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for variant, target in self._folds.get(tokens[i], ()):
                if tokens[i : i + len(variant)] == variant:
                    out.extend(target)
                    i += len(variant)
                    break
            else:
                out.append(tokens[i])
                i += 1
        return tuple(out)

    def informative(self, tokens: Iterable[str]) -> tuple[str, ...]:
        """Drops stop words, keeping the first occurrence of every other token in order."""
        seen: dict[str, None] = {}
        for token in tokens:
            if token not in self._stops:
                seen.setdefault(token, None)
        return tuple(seen)

    def prepare(self, stems: tuple[str, ...]) -> Normalised:
        """Folds synonyms into stemmed words and keeps the informative ones."""
        tokens = self.informative(self.fold(stems))
        return Normalised(tokens, " ".join(tokens))

    def normalise(self, text: str) -> Normalised:
        """Prepares raw text for scoring: words, stems, synonyms, stop words."""
        return self.prepare(self.stems(text))
