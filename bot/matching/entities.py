"""Spotting the subjects, routes, degree class, academic year and providers a message names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.knowledge.model import Knowledge
from bot.matching.normalise import words

# Degree classes, tried on the lower-cased raw text because "2:2" and "2.2" lose their punctuation later.
_DEGREE_CLASSES: tuple[tuple[str, str], ...] = (
    ("2:1", r"\b2\s?[:.]\s?1\b(?![.\d])|\b2\(?i\)?(?=\s|$|,)|\bupper\s+second\b"),
    ("2:2", r"\b2\s?[:.]\s?2\b(?![.\d])|\b2\(?ii\)?(?=\s|$|,)|\blower\s+second\b"),
    (
        "first",
        r"\b(?:first|1st)[\s-]class\b|\b(?:got|have|had|achieved|predicted|expecting|with)\s+a\s+(?:first|1st)\b"
        r"(?!\s+(?:degree|time|job|step|year|child))|\ba\s+(?:first|1st)\s+(?:in|from|at)\b",
    ),
    (
        "third",
        r"\b(?:third|3rd)[\s-]class\b|\b(?:got|have|had|achieved|predicted|expecting|with)\s+a\s+(?:third|3rd)\b"
        r"(?!\s+(?:time|year|child))|\ba\s+(?:third|3rd)\s+(?:in|from|at)\b",
    ),
    (
        "none",
        r"\b(?:no|without\s+an?|(?:(?:do\s*n[o'’]?t|do\s+not)\s+have|haven[’']?t\s+got|have\s+not\s+got|(?:not|never)"
        r"\s+got)\s+an?)\s+(?:university\s+|uni\s+)?degree\b"
        r"|\b(?:never|not|didn[’']?t|did\s+not|haven[’']?t|have\s+not)\s+(?:been|gone|went|go)\s+to\s+(?:uni|university)\b",
    ),
)
_DEGREE_PATTERNS = tuple((name, re.compile(pattern)) for name, pattern in _DEGREE_CLASSES)
# Every way of naming a degree class holds one of its cues, so a text with none is not searched at all.
_DEGREE_CUES: dict[str, tuple[str, ...]] = {
    "2:1": ("2", "upper"),
    "2:2": ("2", "lower"),
    "first": ("first", "1st"),
    "third": ("third", "3rd"),
    "none": ("degree", "uni"),
}
_YEAR = re.compile(r"\b(20\d\d)\s*(?:/|-|–|to)\s*(20)?(\d\d)\b")
# Short provider names ("UCL", "OU") would fire on ordinary words, so names must be this long to count.
_MIN_PROVIDER_NAME = 6


@dataclass(frozen=True, slots=True)
class Entities:
    """What a message names: ids of subjects, routes and providers, and the degree class and academic year."""

    subjects: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    degree_class: str | None = None  # "first", "2:1", "2:2", "third" or "none"
    academic_year: str | None = None  # written "2026/27"
    providers: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.subjects or self.routes or self.degree_class or self.academic_year or self.providers)


class _Names:
    """Finds whole-word names in a list of words, preferring the longest name at each place."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        self._ids: dict[tuple[str, ...], str] = {}
        for phrase, ident in names:
            key = tuple(words(phrase))
            if key:
                self._ids.setdefault(key, ident)
        # Per first word, the lengths of the names it starts, longest first: only those are looked up.
        sizes: dict[str, set[int]] = {}
        for key in self._ids:
            sizes.setdefault(key[0], set()).add(len(key))
        self._sizes = {first: tuple(sorted(found, reverse=True)) for first, found in sizes.items()}

    def find(self, said: list[str]) -> tuple[str, ...]:
        """Returns the ids named in the words, in the order they first appear."""
        if self._sizes.keys().isdisjoint(said):  # most messages name nothing of this kind
            return ()
        found: dict[str, None] = {}
        i = 0
        while i < len(said):
            size = self._longest_at(said, i) if said[i] in self._sizes else 0
            if size:
                found.setdefault(self._ids[tuple(said[i : i + size])], None)
            i += size or 1
        return tuple(found)

    def _longest_at(self, said: list[str], start: int) -> int:
        """How many words the longest name starting at this word has, or 0 when none starts there."""
        room = len(said) - start
        for size in self._sizes[said[start]]:
            if size <= room and tuple(said[start : start + size]) in self._ids:
                return size
        return 0


class EntityFinder:
    """Knows the names of the knowledge's subjects, routes and providers and finds them in messages."""

    def __init__(self, knowledge: Knowledge) -> None:
        self._subjects = _Names(
            (name, s.id)
            for s in knowledge.subjects.values()
            for name in (s.name, s.id.replace("-", " "), *s.aliases)
        )
        self._routes = _Names(
            (name, r.id)
            for r in knowledge.routes.values()
            for name in (r.name, r.id.replace("-", " "), *r.aliases)
        )
        self._providers = _Names(
            (name, p.id)
            for p in knowledge.providers.values()
            for name in (p.name, p.id.replace("-", " "))
            if len(name) >= _MIN_PROVIDER_NAME and (name == p.name or "-" in p.id)
        )

    def find(self, text: str) -> Entities:
        """Returns the entities named in the text."""
        said = words(text)
        return Entities(
            subjects=self._subjects.find(said),
            routes=self._routes.find(said),
            degree_class=degree_class(text),
            academic_year=academic_year(text),
            providers=self._providers.find(said),
        )

    def routes(self, text: str) -> tuple[str, ...]:
        """Returns the ids of the routes named in the text, in the order they first appear."""
        return self._routes.find(words(text))


def degree_class(text: str) -> str | None:
    """Returns the degree class the text mentions first, or None."""
    lowered = text.lower()
    hits = [
        (m.start(), name)
        for name, pattern in _DEGREE_PATTERNS
        if any(cue in lowered for cue in _DEGREE_CUES[name]) and (m := pattern.search(lowered))
    ]
    return min(hits)[1] if hits else None


def academic_year(text: str) -> str | None:
    """Returns the first academic year written out in the text, as "2026/27", or None."""
    for m in _YEAR.finditer(text):
        start, end = int(m.group(1)), int(m.group(3))
        if end == (start + 1) % 100 and (m.group(2) is None or m.group(2) == m.group(1)[:2]):
            return f"{start}/{end:02d}"
    return None
