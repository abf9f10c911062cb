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
    """Finds whole-word names in processed text, preferring the longest name at each place."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        self._ids: dict[str, str] = {}
        for phrase, ident in names:
            key = " ".join(words(phrase))
            if key:
                self._ids.setdefault(key, ident)
        ordered = sorted(self._ids, key=lambda k: (-len(k), k))
        alternation = "|".join(re.escape(k) for k in ordered)
        self._pattern = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)") if ordered else None

    def find(self, processed: str) -> tuple[str, ...]:
        """Returns the ids named in the text, in the order they first appear."""
        if self._pattern is None:
            return ()
        found = dict.fromkeys(self._ids[m.group(0)] for m in self._pattern.finditer(processed))
        return tuple(found)


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
        processed = " ".join(words(text))
        return Entities(
            subjects=self._subjects.find(processed),
            routes=self._routes.find(processed),
            degree_class=degree_class(text),
            academic_year=academic_year(text),
            providers=self._providers.find(processed),
        )


def degree_class(text: str) -> str | None:
    """Returns the degree class the text mentions first, or None."""
    lowered = text.lower()
    hits = [(m.start(), name) for name, pattern in _DEGREE_PATTERNS if (m := pattern.search(lowered))]
    return min(hits)[1] if hits else None


def academic_year(text: str) -> str | None:
    """Returns the first academic year written out in the text, as "2026/27", or None."""
    for m in _YEAR.finditer(text):
        start, end = int(m.group(1)), int(m.group(3))
        if end == (start + 1) % 100 and (m.group(2) is None or m.group(2) == m.group(1)[:2]):
            return f"{start}/{end:02d}"
    return None
