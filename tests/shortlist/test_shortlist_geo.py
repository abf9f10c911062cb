"""The gazetteer on the real place files shipped in knowledge/geo."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from bot.shortlist.geo import Gazetteer, Place, distance_miles, normalise_place_name

GEO = Path(__file__).resolve().parents[2] / "knowledge" / "geo"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load(GEO)


def test_brighton_is_in_east_sussex(gazetteer: Gazetteer) -> None:
    [brighton] = gazetteer.resolve("Brighton")
    assert (brighton.name, brighton.county, brighton.region, brighton.kind) == (
        "Brighton",
        "East Sussex",
        "South East",
        "place",
    )
    assert brighton.lat == pytest.approx(50.83, abs=0.02)


@pytest.mark.parametrize("text", ["BN1", "bn1", " bn1 1aa ", "BN1 1AA", "bn11aa"])
def test_postcodes_give_their_district(gazetteer: Gazetteer, text: str) -> None:
    [place] = gazetteer.resolve(text)
    assert (place.name, place.county, place.kind) == ("BN1", "East Sussex", "postcode")


def test_short_outward_code(gazetteer: Gazetteer) -> None:
    [place] = gazetteer.resolve("S10")
    assert place.county == "South Yorkshire"
    assert gazetteer.resolve("S10 2TN") == [place]


def test_postcode_outside_the_data_is_unknown(gazetteer: Gazetteer) -> None:
    assert gazetteer.resolve("BT1 1AA") == []
    assert gazetteer.resolve("ZZ9 9ZZ") == []


def test_sheffield_is_the_city_not_the_hamlet(gazetteer: Gazetteer) -> None:
    places = gazetteer.resolve("sheffield")
    assert places[0].county == "South Yorkshire"
    assert all(place.county != "Cornwall" for place in places)


def test_kent_is_the_county(gazetteer: Gazetteer) -> None:
    places = gazetteer.resolve("Kent")
    assert [(p.kind, p.region) for p in places] == [("county", "South East")]


def test_newport_gives_several_largest_first(gazetteer: Gazetteer) -> None:
    places = gazetteer.resolve("Newport")
    assert len(places) >= 3
    assert places[0].country == "Wales"
    towns = [p for p in places if p.kind == "place"]
    assert "Isle of Wight" in {p.county for p in towns}
    sizes = _sizes_in_csv("Newport")
    assert [sizes[p.county] for p in towns] == sorted((sizes[p.county] for p in towns), reverse=True)


def _sizes_in_csv(name: str) -> dict[str, int]:
    with (GEO / "gb_places.csv").open(encoding="utf-8") as handle:
        return {
            row["county"]: int(row["postcodes_2km"]) for row in csv.DictReader(handle) if row["name"] == name
        }


def test_alias_comes_first(gazetteer: Gazetteer) -> None:
    assert gazetteer.resolve("Newcastle")[0].name == "Newcastle upon Tyne"
    assert gazetteer.resolve("stoke")[0].name == "Stoke-on-Trent"


@pytest.mark.parametrize("text", ["St. Albans", "saint albans", "ST ALBANS", "St-Albans"])
def test_spelling_variants_match(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.resolve(text)[0].name == "St Albans"


def test_ampersand_and_hyphens(gazetteer: Gazetteer) -> None:
    assert gazetteer.resolve("Brighton & Hove")[0].name == "Brighton and Hove"
    assert gazetteer.resolve("stoke on trent")[0].name == "Stoke-on-Trent"
    assert normalise_place_name("King’s Lynn") == normalise_place_name("Kings Lynn")


@pytest.mark.parametrize("text", ["", "   ", "😀🏫", "Qwertyville", "!!!", "x" * 20_000, "Brighton " * 3000])
def test_nonsense_gives_nothing(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.resolve(text) == []


@pytest.mark.parametrize("text", ["", "😀🏫", "x" * 20_000, "how much is the bursary?"])
def test_nothing_found_in_text_without_a_place(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.find_in_text(text) is None


def test_long_text_without_a_place_finds_nothing(gazetteer: Gazetteer) -> None:
    found = gazetteer.find_in_text("i want to teach maths and physics please " * 500)
    assert found is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I live near brighton", "Brighton"),
        ("my postcode S10 2TN if that helps", "S10"),
        ("I'm in bn1 at the moment", "BN1"),
        ("I'm a TA in Sheffield and want to train", "Sheffield"),
        ("I live in Reading and want to teach", "Reading"),
        ("we moved to stoke last year", "Stoke-on-Trent"),
    ],
)
def test_places_spotted_in_sentences(gazetteer: Gazetteer, text: str, name: str) -> None:
    place = gazetteer.find_in_text(text)
    assert place is not None
    assert place.name == name


@pytest.mark.parametrize(
    "text",
    [
        "I have a degree in Chemistry",
        "I want to start in March",
        "I'm interested in reading and maths",
        "I'm interested in SEND",
        "I'm from Canada",
        "how do I start",
        "I drive up the M1 every day",
    ],
)
def test_everyday_words_are_not_places(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.find_in_text(text) is None


def _point(lat: float, lon: float) -> Place:
    return Place("p", "c", "r", "England", lat, lon, "place")


def test_distance_of_one_degree_of_latitude() -> None:
    assert distance_miles(_point(52.0, -1.0), _point(53.0, -1.0)) == pytest.approx(69.09, abs=0.01)


def test_distance_is_symmetric_and_zero_to_itself(gazetteer: Gazetteer) -> None:
    brighton = gazetteer.resolve("Brighton")[0]
    sheffield = gazetteer.resolve("Sheffield")[0]
    there = distance_miles(brighton, sheffield)
    assert there == pytest.approx(distance_miles(sheffield, brighton))
    assert distance_miles(brighton, brighton) == 0
    # An independent flat-earth estimate agrees within 1% at this range.
    mean_lat = math.radians((brighton.lat + sheffield.lat) / 2)
    dx = math.radians(sheffield.lon - brighton.lon) * math.cos(mean_lat)
    dy = math.radians(sheffield.lat - brighton.lat)
    assert there == pytest.approx(3958.8 * math.hypot(dx, dy), rel=0.01)
