"""Turning one values/*.yaml file into facts keyed by dotted path, with settings inherited down the tree."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.knowledge.fields import Report, Spot, is_https
from bot.knowledge.marked import MarkedList, MarkedMap, NotADate
from bot.knowledge.model import Fact, Origin

SETTINGS = ("source", "academic_year", "reviewed", "unit")
CURRENT = "current"
# A mapping with `value:` is one figure with settings of its own: `min_weeks: {value: 24, unit: weeks}`
# is the fact "training.placements.min_weeks".
VALUE = "value"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_YEAR_KEY = re.compile(r"\d{4}-\d{2}")  # a year block such as 2026-27


@dataclass(frozen=True, slots=True)
class _Inherited:
    """The settings in force at one point of the tree."""

    source: str | None = None
    academic_year: str | None = None
    reviewed: date | None = None
    unit: str | None = None
    history: bool = False  # inside a year block that the file's `current` has moved past


@dataclass
class _Walk:
    """One file being turned into facts."""

    namespace: str
    file: str
    report: Report
    facts: dict[str, Fact]

    def spot(self, path: str, key: str, line: int) -> Spot:
        return Spot(self.file, line, path, key)


def read_values(namespace: str, file: str, data: object, report: Report) -> dict[str, Fact]:
    """Returns the facts of one values file (with "current" aliases), reporting every problem."""
    walk = _Walk(namespace, file, report, {})
    if not isinstance(data, MarkedMap):
        report.error(Spot(file, 1), "must be a mapping of settings and figures")
        return {}
    _read_mapping(walk, data, namespace, _Inherited(), top=True)
    _add_current(walk, data)
    return walk.facts


def _read_mapping(walk: _Walk, data: MarkedMap, path: str, above: _Inherited, top: bool = False) -> None:
    here = _read_settings(walk, data, path, above)
    current = data.get(CURRENT) if top else None
    for key, value in data.items():
        line = data.line_of(key)
        if key in SETTINGS or (top and key == CURRENT):
            continue
        if not isinstance(key, str) or not _NAME.fullmatch(key):
            message = (
                "a name may hold only letters, digits, hyphens and underscores (put years like 2026-27 as is)"
            )
            walk.report.error(walk.spot(path, str(key), line), message)
        elif isinstance(value, MarkedMap):
            past = isinstance(current, str) and key != current and _YEAR_KEY.fullmatch(key) is not None
            _read_mapping(walk, value, f"{path}.{key}", replace(here, history=True) if past else here)
        elif key == VALUE and not top:
            _read_leaf(walk, path, walk.spot(path, key, line), value, here)
        else:
            _read_leaf(walk, f"{path}.{key}", walk.spot(path, key, line), value, here)


def _read_settings(walk: _Walk, data: MarkedMap, path: str, above: _Inherited) -> _Inherited:
    # A bad setting is reported once here and still passed down, so figures below are not reported again.
    found = {
        name: (data[name], walk.spot(path, name, data.line_of(name))) for name in SETTINGS if name in data
    }
    here = above
    if "source" in found:
        here = replace(here, source=_source(walk, *found["source"]))
    if "academic_year" in found:
        value, spot = found["academic_year"]
        year = walk.report.academic_year(spot, value, history=here.history)
        here = replace(here, academic_year=year or str(value))
    if "reviewed" in found:
        here = replace(here, reviewed=_reviewed(walk, *found["reviewed"]))
    if "unit" in found:
        here = replace(here, unit=_unit(walk, *found["unit"]))
    if "academic_year" in found:
        _add_year_fact(walk, path, here, found["academic_year"][1])
    return here


def _source(walk: _Walk, value: object, spot: Spot) -> str:
    if not isinstance(value, str) or not is_https(value):
        walk.report.error(spot, f"must be an https:// address; found {value!r}")
    return str(value)


def _unit(walk: _Walk, value: object, spot: Spot) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    walk.report.error(spot, f"must be gbp, percent or a word such as weeks; found {value!r}")
    return None


def _reviewed(walk: _Walk, value: object, spot: Spot) -> date | None:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        if not isinstance(value, NotADate):  # a day that does not exist is reported where it is read
            walk.report.error(spot, f"must be a date like 2026-11-20; found {value!r}")
        return None
    walk.report.stale(spot, value)
    return value


def _add_year_fact(walk: _Walk, path: str, here: _Inherited, spot: Spot) -> None:
    """Registers "<path>.academic_year" so texts can say which year their figures are for."""
    year = here.academic_year or ""
    origin = Origin(walk.file, spot.line or 0)
    fact = Fact(f"{path}.academic_year", year, None, here.source or "", year, here.reviewed, origin)
    walk.facts[fact.path] = fact


def _read_leaf(walk: _Walk, path: str, spot: Spot, value: object, here: _Inherited) -> None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, bool) or not isinstance(value, int | float | str | date):
        kind = "a list" if isinstance(value, MarkedList) else repr(value)
        walk.report.error(spot, f"must be a number, a date or text; found {kind}")
        return
    if here.source is None:
        walk.report.error(spot, "has no source: set source on it or on a mapping above it")
    if here.academic_year is None:
        walk.report.error(spot, "has no academic_year: set it on a mapping above it")
    unit = here.unit if isinstance(value, int | float) else None
    origin = Origin(walk.file, spot.line or 0)
    walk.facts[path] = Fact(path, value, unit, here.source or "", here.academic_year, here.reviewed, origin)


def _add_current(walk: _Walk, data: MarkedMap) -> None:
    if CURRENT not in data:
        return
    year = data[CURRENT]
    spot = walk.spot(walk.namespace, CURRENT, data.line_of(CURRENT))
    if not isinstance(year, str) or not isinstance(data.get(year), MarkedMap):
        walk.report.error(spot, f"must name a year mapping in this file, like 2026-27; found {year!r}")
        walk.report.undefined.add(f"{walk.namespace}.{CURRENT}.")
        return
    prefix = f"{walk.namespace}.{year}."
    aliases = {
        f"{walk.namespace}.{CURRENT}.{path.removeprefix(prefix)}": fact
        for path, fact in walk.facts.items()
        if path.startswith(prefix)
    }
    walk.facts.update(aliases)
