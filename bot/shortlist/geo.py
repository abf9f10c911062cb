"""The offline place gazetteer: turns what a person types into places, and measures distances."""

from __future__ import annotations

import csv
import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = ["Gazetteer", "Place", "distance_miles", "normalise_place_name"]

EARTH_RADIUS_MILES = 3958.8
LONGEST_NAME = 60  # longer input cannot be a single place name; skip the work
LONGEST_SPAN = 5  # words in the longest place name looked for inside a sentence
NO_CUE, WEAK_CUE, STRONG_CUE = 0, 1, 2

_FULL_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_OUTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\s?([0-9][A-Za-z]{2})\b")
_WORD = re.compile(r"[^\W_]+")
# Only these say that a place outside Great Britain is where someone lives ("I'm from Nigeria" may not).
_LIVES_IN = re.compile(
    r"\b(?:live|lives|living|based|reside|residing|settled|work|working|teach|teaching)\s+(?:in|near|outside)\s+(?:the\s+)?"
    r"|\b(?:i'?m|i\s+am|currently)\s+(?:in|over\s+in|out\s+in)\s+(?:the\s+)?",
    re.IGNORECASE,
)
# Every ASCII mark becomes a space, except apostrophes (dropped: "King's" is "kings") and "&" ("and").
_PUNCTUATION = {chr(c): " " for c in range(128) if not chr(c).isalnum()}
_ASCII_TABLE = str.maketrans(_PUNCTUATION | {"'": None, "`": None, "&": " and "})
_DROPPED = str.maketrans({"'": None, "’": None, "`": None})
# Words that may stay lower case inside a capitalised place name ("Stoke-on-Trent", "Bishop's Stortford").
_JOINING_WORDS = frozenset(
    {"on", "upon", "under", "le", "la", "in", "by", "and", "the", "of", "de", "next", "sea"}
)


@dataclass(frozen=True, slots=True)
class Place:
    """A place in Great Britain: a postcode district, an area (region, county, district) or a named place."""

    name: str
    county: str
    region: str
    country: str
    lat: float
    lon: float
    kind: str  # "postcode", "region", "county", "district" or "place"


def distance_miles(a: Place, b: Place) -> float:
    """Returns the great-circle distance between two places in miles."""
    return haversine_miles(a.lat, a.lon, b.lat, b.lon)


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Returns the great-circle distance between two points in miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def normalise_place_name(text: str) -> str:
    """Returns the comparison key of a place name: lower case, no accents or punctuation, "St" for "Saint"."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_DROPPED))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        text = " ".join(_WORD.findall(text.replace("&", " and ")))
    words = text.lower().translate(_ASCII_TABLE).split()
    if "saint" in words:
        words = ["st" if word == "saint" else word for word in words]
    return " ".join(words)


# Row layouts, kept as plain tuples so 32,000 places stay small in memory.
# district: (lat, lon, district, county, region, country)
# area:     (kind, name, lat, lon, county, region, country)
# place:    (name, lat, lon, county, outcode, postcodes_2km, is_town)
_District = tuple[float, float, str, str, str, str]
_Area = tuple[str, str, float, float, str, str, str]
_PlaceRow = tuple[str, float, float, str, str, int, bool]


@dataclass(frozen=True, slots=True)
class _Words:
    """What place_names.yaml says about names: aliases, cue phrases and look-alike words."""

    aliases: dict[str, tuple[str, ...]]
    cues: tuple[tuple[str, ...], ...]
    strong_cues: tuple[tuple[str, ...], ...]
    common_words: frozenset[str]
    not_places: frozenset[str]
    # Places outside Great Britain: normalised name -> (name as written, "northern_ireland" or "abroad").
    outside: dict[str, tuple[str, str]]


class Gazetteer:
    """Postcode districts, areas and places of Great Britain, indexed by normalised name."""

    def __init__(
        self,
        districts: dict[str, _District],
        areas: dict[str, tuple[_Area, ...]],
        places: dict[str, tuple[_PlaceRow, ...]],
        words: _Words,
    ) -> None:
        self._districts = districts
        self._areas = areas
        self._places = places
        self._words = words

    @classmethod
    def load(cls, folder: Path) -> Gazetteer:
        """Reads the three CSV files and place_names.yaml from the geo folder."""
        return cls(
            _read_districts(folder / "gb_postcode_districts.csv"),
            _read_areas(folder / "gb_areas.csv"),
            _read_places(folder / "gb_places.csv"),
            _read_words(folder / "place_names.yaml"),
        )

    def resolve(self, text: str) -> list[Place]:
        """Returns the places a person may mean by text, the likeliest first; empty when none fits."""
        if len(text) > LONGEST_NAME:
            return []
        district = self.postcode_district(text)
        if district is not None:
            return [district]
        key = normalise_place_name(text)
        if not key or key in self._words.not_places:
            return []
        if key in self._words.aliases:
            return _unique(self._by_alias(key))
        return _unique(self._by_name(key))

    def postcode_district(self, text: str) -> Place | None:
        """Returns the postcode district of a full postcode or outward code, if text is one."""
        compact = re.sub(r"\s+", "", text).upper()
        full = _FULL_POSTCODE.match(compact)
        outcode = full.group(1) if full else compact if _OUTCODE.match(compact) else None
        row = self._districts.get(outcode) if outcode else None
        if outcode is None or row is None:
            return None
        lat, lon, _district, county, region, country = row
        return Place(outcode, county, region, country, lat, lon, "postcode")

    def outside(self, text: str) -> tuple[str, str] | None:
        """Returns (name, "northern_ireland" or "abroad") when the text is a place outside Great Britain."""
        return self._words.outside.get(normalise_place_name(text)) if len(text) <= LONGEST_NAME else None

    def outside_in_text(self, text: str) -> tuple[str, str] | None:
        """Returns the place outside Great Britain a message says the person lives in, if it says so."""
        for found in _LIVES_IN.finditer(text):
            after = normalise_place_name(text[found.end() :]).split()
            for size in range(min(LONGEST_SPAN, len(after)), 0, -1):
                named = self._words.outside.get(" ".join(after[:size]))
                if named is not None:
                    return named
        return None

    def district_of(self, place: Place) -> str:
        """Returns the local authority district a place is in: its own, or the nearest postcode district's."""
        if place.kind == "district":
            return place.name
        row = self._districts.get(place.name) if place.kind == "postcode" else None
        if row is None:
            row = min(
                self._districts.values(), key=lambda d: haversine_miles(place.lat, place.lon, d[0], d[1])
            )
        return row[2]

    def find_in_text(self, text: str) -> Place | None:
        """Returns the place a longer message mentions, only when the mention is clear."""
        postcode = _POSTCODE_IN_TEXT.search(text)
        if postcode is not None:
            found = self.postcode_district(postcode.group(1) + postcode.group(2))
            if found is not None:
                return found
        for key, capitalised, cue in self._spans(text):
            if cue and _OUTCODE.match(key.upper()):
                found = self.postcode_district(key)
                if found is not None:
                    return found
            elif self._is_clear_mention(key, capitalised, cue):
                places = self.resolve(key)
                if places:
                    return places[0]
        return None

    def _is_clear_mention(self, key: str, capitalised: bool, cue: int) -> bool:
        if key in self._words.not_places or not self._known(key):
            return False
        if key in self._words.common_words:
            return capitalised and cue == STRONG_CUE
        return capitalised or cue > NO_CUE

    def _known(self, key: str) -> bool:
        return key in self._areas or key in self._places or key in self._words.aliases

    def _spans(self, text: str) -> Iterator[tuple[str, bool, int]]:
        """Yields (key, capitalised, cue strength) for each run of words, longest first at each start."""
        words = [
            (m.group(), m.start()) for m in _WORD.finditer(text.translate(_DROPPED).replace("&", " and "))
        ]
        lowered = [word.casefold() for word, _ in words]
        for start in range(len(words)):
            cue = self._cue_before(lowered, start)
            initial = _starts_sentence(text, words[start][1])
            for end in range(min(len(words), start + LONGEST_SPAN), start, -1):
                span = [word for word, _ in words[start:end]]
                capitalised = not initial and _looks_capitalised(span)
                yield normalise_place_name(" ".join(span)), capitalised, cue

    def _cue_before(self, lowered: list[str], start: int) -> int:
        def follows(cues: tuple[tuple[str, ...], ...]) -> bool:
            return any(tuple(lowered[max(0, start - len(cue)) : start]) == cue for cue in cues)

        if follows(self._words.strong_cues):
            return STRONG_CUE
        return WEAK_CUE if follows(self._words.cues) else NO_CUE

    def _by_alias(self, key: str) -> Iterator[Place]:
        for target in self._words.aliases[key]:
            yield from self._by_name(normalise_place_name(target))
        yield from self._by_name(key)

    def _by_name(self, key: str) -> Iterator[Place]:
        areas = self._areas.get(key, ())
        for area in areas:
            yield self._area_place(area)
        for row in self._places.get(key, ()):
            place = self._place(row)
            if not areas:
                yield place
            elif row[6] and all(_elsewhere(place, self._area_place(a)) for a in areas):
                # A town of the same name far from the area is a real alternative ("Newport").
                yield place

    @staticmethod
    def _area_place(area: _Area) -> Place:
        kind, name, lat, lon, county, region, country = area
        return Place(name, county or name, region, country, lat, lon, kind)

    def _place(self, row: _PlaceRow) -> Place:
        name, lat, lon, county, outcode, _size, _town = row
        district = self._districts.get(outcode)
        region, country = (district[4], district[5]) if district else ("", "")
        return Place(name, county, region, country, lat, lon, "place")


def _elsewhere(place: Place, area: Place) -> bool:
    if area.kind == "region":
        return place.region != area.region
    return place.county != area.county


def _unique(places: Iterable[Place]) -> list[Place]:
    seen: set[tuple[str, str, str]] = set()
    out: list[Place] = []
    for place in places:
        key = (place.name, place.county, place.region)
        if key not in seen:
            seen.add(key)
            out.append(place)
    return out


def _starts_sentence(text: str, position: int) -> bool:
    before = text[:position].rstrip()
    return not before or before[-1] in '.!?\n:;"“(-'


def _looks_capitalised(span: list[str]) -> bool:
    first = span[0]
    if not first[:1].isupper() or (first.isupper() and len(first) > 1):
        return False  # "SEND" or "PGCE" are acronyms, not names
    return all(word[:1].isupper() or word.casefold() in _JOINING_WORDS for word in span)


def _rows(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        yield from reader


def _read_districts(path: Path) -> dict[str, _District]:
    intern = sys.intern
    return {
        outcode: (float(lat), float(lon), intern(district), intern(county), intern(region), intern(country))
        for outcode, lat, lon, district, county, region, country, _count, _status in _rows(path)
    }


def _read_areas(path: Path) -> dict[str, tuple[_Area, ...]]:
    areas: dict[str, list[_Area]] = {}
    for kind, name, lat, lon, county, region, country, _count, _population in _rows(path):
        bucket = areas.setdefault(normalise_place_name(name), [])
        # A Welsh or Scottish county and its district share one name and centre: keep the first.
        if not any(existing[1] == name for existing in bucket):
            bucket.append((kind, name, float(lat), float(lon), county, region, country))
    return {key: tuple(bucket) for key, bucket in areas.items()}


def _read_places(path: Path) -> dict[str, tuple[_PlaceRow, ...]]:
    intern = sys.intern
    places: dict[str, list[_PlaceRow]] = {}
    for name, lat, lon, county, outcode, size, src in _rows(path):
        row = (name, float(lat), float(lon), intern(county), intern(outcode), int(size), "BUA" in src)
        places.setdefault(normalise_place_name(name), []).append(row)
    return {key: _largest_first(rows) for key, rows in places.items()}


def _largest_first(rows: list[_PlaceRow]) -> tuple[_PlaceRow, ...]:
    if len(rows) > 1:
        rows.sort(key=lambda row: -row[5])
    return tuple(rows)


def _read_words(path: Path) -> _Words:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    aliases = {
        normalise_place_name(alias): tuple(str(t) for t in targets)
        for alias, targets in (data.get("aliases") or {}).items()
    }
    return _Words(
        aliases=aliases,
        cues=_phrases(data.get("cues")),
        strong_cues=_phrases(data.get("strong_cues")),
        common_words=frozenset(normalise_place_name(str(w)) for w in data.get("common_words") or ()),
        not_places=frozenset(normalise_place_name(str(w)) for w in data.get("not_places") or ()),
        outside={
            normalise_place_name(str(name)): (str(name), nation)
            for nation in ("abroad", "northern_ireland")
            for name in data.get(nation) or ()
        },
    )


def _phrases(items: object) -> tuple[tuple[str, ...], ...]:
    if not isinstance(items, list):
        return ()
    return tuple(tuple(str(item).casefold().translate(_DROPPED).split()) for item in items)
