"""Reading the fields of knowledge entries, recording every problem at its file, line, entry and field."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process

from bot.errors import Problem
from bot.knowledge.marked import MarkedList, MarkedMap, NotADate
from bot.knowledge.values import PLACEHOLDER

E = TypeVar("E", bound=StrEnum)

ID_FORMAT = re.compile(r"[a-z][a-z0-9-]{0,39}")
EMAIL_FORMAT = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+")
YEAR_FORMAT = re.compile(r"(\d{4})/(\d{2})")
ONGOING = "ongoing"
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Spot:
    """A place in the knowledge files that a problem or a reference points at."""

    file: str
    line: int | None
    entry: str | None = None
    field: str | None = None


@dataclass
class Report:
    """Collects problems and cross-file references while the files are read."""

    today: date
    problems: list[Problem] = field(default_factory=list)
    refs: defaultdict[str, list[tuple[str, Spot]]] = field(default_factory=lambda: defaultdict(list))
    broken: set[str] = field(default_factory=set)  # files that could not be parsed at all
    undefined: set[str] = field(default_factory=set)  # value path prefixes a reported error left undefined
    placeholders: list[tuple[str, Spot]] = field(default_factory=list)  # .example digest addresses

    def error(self, spot: Spot, message: str) -> None:
        """Records an error at a spot."""
        self.problems.append(Problem("error", spot.file, spot.line, spot.entry, spot.field, message))

    def warning(self, spot: Spot, message: str) -> None:
        """Records a warning at a spot."""
        self.problems.append(Problem("warning", spot.file, spot.line, spot.entry, spot.field, message))

    def refer(self, kind: str, target: str, spot: Spot) -> None:
        """Notes that a spot names something ("value", "answer", ...) to check once all files are read."""
        self.refs[kind].append((target, spot))

    def mentions(self, text: str, spot: Spot, block: bool) -> None:
        """Notes every {value.path} in a text; in a literal block the line of each one is counted."""
        for match in PLACEHOLDER.finditer(text):
            if "." not in match.group(1):
                continue
            here = spot
            if block and spot.line is not None:
                here = replace(spot, line=spot.line + 1 + text.count("\n", 0, match.start()))
            self.refer("value", match.group(1), here)

    def stale(self, spot: Spot, reviewed: date) -> None:
        """Warns when a reviewed date is more than 12 months old."""
        if reviewed < year_before(self.today):
            self.warning(
                spot, f"last reviewed on {reviewed.isoformat()}, more than 12 months ago: check it again"
            )

    def academic_year(self, spot: Spot, value: object, *, history: bool = False) -> str | None:
        """Checks an academic year (2026/27 or ongoing), warning when it has ended unless it is kept as
        history (a year block that `current` has moved past); returns it if valid."""
        if not isinstance(value, str) or not is_academic_year(value):
            self.error(spot, f"must be an academic year like 2026/27, or ongoing (found {value!r})")
            return None
        ends = year_end(value)
        if ends is not None and ends < self.today and not history:
            self.warning(spot, f"academic year {value} ended on {ends.isoformat()}: update or remove it")
        return value


def year_before(day: date) -> date:
    """Returns the same day one year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def is_academic_year(value: str) -> bool:
    """Tells whether a text is "ongoing" or two consecutive years written like 2026/27."""
    match = YEAR_FORMAT.fullmatch(value)
    if match is None:
        return value == ONGOING
    return int(match.group(2)) == (int(match.group(1)) + 1) % 100


def year_end(value: str) -> date | None:
    """Returns the last day of an academic year (31 August of its second year); None for "ongoing"."""
    match = YEAR_FORMAT.fullmatch(value)
    return None if match is None else date(int(match.group(1)) + 1, 8, 31)


def is_https(value: str) -> bool:
    """Tells whether a text is an https address with a host."""
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.netloc) and not any(c.isspace() for c in value)


def hint(name: str, known: Collection[str]) -> str:
    """Returns " (did you mean 'x'?)" naming the closest known name, or "" when none is close."""
    best = process.extractOne(name, list(known), scorer=fuzz.ratio, score_cutoff=75)
    return f" (did you mean {best[0]!r}?)" if best else ""


def _kind_of(value: object) -> str:
    if isinstance(value, MarkedMap):
        return "a mapping"
    if isinstance(value, MarkedList):
        return "a list"
    return repr(value)


class Entry:
    """Reads one mapping of a knowledge file field by field; a bad field is reported and defaulted."""

    def __init__(
        self,
        report: Report,
        file: str,
        data: MarkedMap,
        known: Sequence[str],
        *,
        entry: str | None = None,
        prefix: str = "",
        line: int | None = None,
    ) -> None:
        self.report = report
        self.file = file
        self.data = data
        self.known = known
        self.prefix = prefix
        self.line = data.line if line is None else line  # where a missing field is reported
        raw_id = data.get("id")
        self.id = entry if entry is not None else raw_id if isinstance(raw_id, str) else None

    def spot(self, name: str | None = None, line: int | None = None) -> Spot:
        """Returns the spot of a field (its key's line), or of the whole entry."""
        where = line if line is not None else self.data.lines.get(name, self.line) if name else self.line
        return Spot(self.file, where, self.id, f"{self.prefix}{name}" if name else None)

    def error(self, name: str | None, message: str, line: int | None = None) -> None:
        """Records an error on a field of this entry."""
        self.report.error(self.spot(name, line), message)

    def warning(self, name: str | None, message: str, line: int | None = None) -> None:
        """Records a warning on a field of this entry."""
        self.report.warning(self.spot(name, line), message)

    def raw(self, name: str, required: bool) -> object:
        """Returns a field's value; None when absent or empty, reporting that if the field is required."""
        value = self.data.get(name, _MISSING)
        if value is _MISSING:
            if required:
                self.error(name, "is missing")
            return None
        if value is None and required:
            self.error(name, "is empty")
        return value

    def text(self, name: str, *, required: bool = True) -> str | None:
        """Returns a text field, checked and with its {value.paths} noted."""
        value = self.raw(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(name, f"must be text (put it in quotes); found {_kind_of(value)}")
            return None
        if not value.strip():
            if required:
                self.error(name, "is empty")
            return None
        self.report.mentions(value, self.spot(name), name in self.data.blocks)
        return value

    def texts(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        """Returns a list-of-text field, each item checked at its own line."""
        value = self.raw(name, required)
        if value is None:
            return ()
        if not isinstance(value, MarkedList):
            self.error(name, f"must be a list, like [a, b]; found {_kind_of(value)}")
            return ()
        items: list[str] = []
        for index, item in enumerate(value):
            line = value.line_of(index)
            if not isinstance(item, str) or not item.strip():
                self.error(name, f"item {index + 1} must be non-empty text; found {_kind_of(item)}", line)
                continue
            self.report.mentions(item, self.spot(name, line), block=False)
            items.append(item)
        if required and not value:
            self.error(name, "must list at least one item")
        return tuple(items)

    def day(self, name: str, *, required: bool = True) -> date | None:
        """Returns a date field written like 2026-11-20."""
        value = self.raw(name, required)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date) or value is None:
            return value
        if not isinstance(value, NotADate):  # a day that does not exist is reported where it is read
            self.error(name, f"must be a date like 2026-11-20; found {_kind_of(value)}")
        return None

    def reviewed(self) -> date:
        """Returns the reviewed date, warning when it is stale."""
        value = self.day("reviewed")
        if value is None:
            return date.min
        self.report.stale(self.spot("reviewed"), value)
        return value

    def flag(self, name: str) -> bool:
        """Returns a true/false field."""
        value = self.raw(name, required=True)
        if isinstance(value, bool):
            return value
        if value is not None:
            self.error(name, f"must be true or false; found {_kind_of(value)}")
        return False

    def number(self, name: str) -> float | None:
        """Returns a number field."""
        value = self.raw(name, required=True)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if value is not None:
            self.error(name, f"must be a number; found {_kind_of(value)}")
        return None

    def choice(self, name: str, options: Sequence[str], *, required: bool = True) -> str | None:
        """Returns a field that must be one of a few words."""
        value = self.text(name, required=required)
        if value is not None and value not in options:
            self.error(name, f"must be one of {', '.join(options)}; found {value!r}")
            return None
        return value

    def member(self, name: str, kind: type[E], default: E) -> E:
        """Returns a field that must be one member of an enumeration."""
        value = self.choice(name, [m.value for m in kind])
        return default if value is None else kind(value)

    def members(self, name: str, kind: type[E]) -> tuple[E, ...]:
        """Returns a list field whose items must be members of an enumeration."""
        options = [m.value for m in kind]
        found: list[E] = []
        for item, line in self.lines_of(self.texts(name, required=True), name):
            if item in options:
                found.append(kind(item))
            else:
                self.error(name, f"{item!r} is not one of {', '.join(options)}", line)
        return tuple(found)

    def lines_of(self, items: tuple[str, ...], name: str) -> list[tuple[str, int]]:
        """Pairs the items of a list field with their lines."""
        value = self.data.get(name)
        if not isinstance(value, MarkedList):
            return []
        lines = {
            item: value.line_of(i) for i, item in reversed(list(enumerate(value))) if isinstance(item, str)
        }
        return [(item, lines[item]) for item in items]

    def ident(self) -> str | None:
        """Returns the entry's id, checking its format."""
        value = self.text("id")
        if value is not None and not ID_FORMAT.fullmatch(value):
            rule = "lower-case letters, digits and hyphens, starting with a letter, at most 40 long"
            self.error("id", f"{value!r} must be {rule}")
        return value

    def refs(self, name: str, *, required: bool = False) -> list[tuple[str, Spot]]:
        """Returns the items of a list field with the spot of each, for checking what they name."""
        items = self.texts(name, required=required)
        return [(item, self.spot(name, line)) for item, line in self.lines_of(items, name)]

    def urls(self, name: str, *, required: bool = True) -> tuple[str, ...]:
        """Returns a list of https addresses."""
        good: list[str] = []
        for item, line in self.lines_of(self.texts(name, required=required), name):
            if is_https(item):
                good.append(item)
            else:
                self.error(name, f"{item!r} must be an https:// address", line)
        return tuple(good)

    def url(self, name: str) -> str | None:
        """Returns a single https address."""
        value = self.text(name)
        if value is not None and not is_https(value):
            self.error(name, f"{value!r} must be an https:// address")
        return value

    def finish(self) -> None:
        """Reports every field this kind of entry does not have."""
        for key in self.data:
            if key in self.known:
                continue
            self.error(str(key), f"unknown field{hint(str(key), self.known)}", self.data.line_of(key))
