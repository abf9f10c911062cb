"""What a person has told us about themselves, and its JSON form for the session store."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from bot.knowledge.model import Phase
from bot.shortlist.geo import Place

__all__ = ["DEGREES", "GCSE_ANSWERS", "MODES", "NATIONS", "PAY_AREAS", "STARTS", "Profile"]

DEGREES = ("none", "studying", "first", "upper_second", "lower_second", "third", "other")
GRADUATE_DEGREES = frozenset({"first", "upper_second", "lower_second", "third", "other"})
GCSE_ANSWERS = ("yes", "pending", "no")
MODES = ("full_time", "part_time", "either")
STARTS = ("next_september", "later", "not_sure")
PLACE_KINDS = ("postcode", "region", "county", "district", "place")
PAY_AREAS = ("inner_london", "outer_london", "london_fringe", "england")
NATIONS = ("england", "wales", "scotland", "northern_ireland", "abroad")
MIN_AGE, MAX_AGE = 16, 90
MAX_TEXT = 60  # longest free text kept for a fact (a job, a place abroad)


@dataclass(frozen=True, slots=True)
class Profile:
    """A person's stated criteria; None means they have not said."""

    subjects: tuple[str, ...] = ()
    phase: Phase | None = None
    place: Place | None = None
    travel_miles: float | None = None
    degree: str | None = None
    gcse_english: str | None = None
    gcse_maths: str | None = None
    gcse_science: str | None = None
    needs_salary: bool | None = None
    mode: str | None = None
    start: str | None = None
    needs_visa: bool | None = None
    lives_in_england: bool | None = None
    teaching_experience: bool | None = None
    degree_subject: str | None = None  # a subject id, or the words they used for another subject
    age: int | None = None
    career_changer: bool | None = None
    current_job: str | None = None
    has_qts: bool | None = None
    overseas_qualification: bool | None = None
    nation: str | None = None  # where they live: england, wales, scotland, northern_ireland or abroad
    abroad: str | None = None  # the place abroad they named ("Bangkok")
    pay_area: str | None = None  # the teacher pay area of their place

    @property
    def has_degree(self) -> bool:
        """Whether the person has finished a degree of any class."""
        return self.degree in GRADUATE_DEGREES

    def merged(self, newer: Profile) -> Profile:
        """Returns this profile with every answer the newer one states put over it."""
        return Profile.from_dict({**self.to_dict(), **newer.to_dict()})

    def to_dict(self) -> dict[str, Any]:
        """Returns a JSON-ready dict of the stated answers, leaving out the unanswered ones."""
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None or value == ():
                continue
            if isinstance(value, Place):
                value = {f.name: getattr(value, f.name) for f in fields(Place)}
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Phase):
                value = value.value
            out[item.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Profile:
        """Builds a profile from stored JSON, dropping keys that are unknown or hold bad values."""
        if not isinstance(data, Mapping):
            return cls()
        values: dict[str, Any] = {}
        for name, read in _READERS.items():
            if name in data:
                value = read(data[name])
                if value is not None:
                    values[name] = value
        return cls(**values)


def _choice(options: tuple[str, ...]) -> Callable[[Any], str | None]:
    def read(value: Any) -> str | None:
        return value if isinstance(value, str) and value in options else None

    return read


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _subjects(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list | tuple):
        return None
    return tuple(dict.fromkeys(item for item in value if isinstance(item, str) and item)) or None


def _text(value: Any) -> str | None:
    return value.strip()[:MAX_TEXT] if isinstance(value, str) and value.strip() else None


def _age(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if MIN_AGE <= value <= MAX_AGE else None


def _phase(value: Any) -> Phase | None:
    try:
        return Phase(value)
    except (ValueError, TypeError):
        return None


def _miles(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) if -limit <= value <= limit else None


def _place(value: Any) -> Place | None:
    if not isinstance(value, Mapping):
        return None
    texts = [value.get(name) for name in ("name", "county", "region", "country", "kind")]
    lat, lon = _coordinate(value.get("lat"), 90.0), _coordinate(value.get("lon"), 180.0)
    if not all(isinstance(text, str) for text in texts) or lat is None or lon is None:
        return None
    name, county, region, country, kind = (str(text) for text in texts)
    if not name or kind not in PLACE_KINDS:
        return None
    return Place(name, county, region, country, lat, lon, kind)


_READERS: dict[str, Callable[[Any], Any]] = {
    "subjects": _subjects,
    "phase": _phase,
    "place": _place,
    "travel_miles": _miles,
    "degree": _choice(DEGREES),
    "gcse_english": _choice(GCSE_ANSWERS),
    "gcse_maths": _choice(GCSE_ANSWERS),
    "gcse_science": _choice(GCSE_ANSWERS),
    "needs_salary": _flag,
    "mode": _choice(MODES),
    "start": _choice(STARTS),
    "needs_visa": _flag,
    "lives_in_england": _flag,
    "teaching_experience": _flag,
    "degree_subject": _text,
    "age": _age,
    "career_changer": _flag,
    "current_job": _text,
    "has_qts": _flag,
    "overseas_qualification": _flag,
    "nation": _choice(NATIONS),
    "abroad": _text,
    "pay_area": _choice(PAY_AREAS),
}
