"""A profile survives JSON storage, and a damaged stored profile loses only the damaged parts."""

from __future__ import annotations

import json

import pytest

from bot.knowledge.model import Phase
from bot.shortlist.geo import Place
from bot.shortlist.profile import Profile

BRIGHTON = Place("Brighton", "East Sussex", "South East", "England", 50.8284, -0.1395, "place")
FULL = Profile(
    subjects=("physics", "mathematics"),
    phase=Phase.SECONDARY,
    place=BRIGHTON,
    travel_miles=25,
    degree="upper_second",
    gcse_english="yes",
    gcse_maths="pending",
    gcse_science="no",
    needs_salary=False,
    mode="either",
    start="next_september",
    needs_visa=False,
    lives_in_england=True,
    teaching_experience=False,
)


def test_round_trip_through_json() -> None:
    stored = json.loads(json.dumps(FULL.to_dict()))
    assert Profile.from_dict(stored) == FULL


def test_empty_profile_stores_nothing() -> None:
    assert Profile().to_dict() == {}
    assert Profile.from_dict({}) == Profile()
    assert Profile.from_dict(None) == Profile()


def test_unknown_keys_are_dropped() -> None:
    stored = FULL.to_dict() | {"favourite_colour": "green", "age_band": "25-34"}
    assert Profile.from_dict(stored) == FULL


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("subjects", "physics"),
        ("phase", "nursery"),
        ("phase", ["primary"]),
        ("place", {"name": "Brighton"}),
        ("place", {**FULL.to_dict()["place"], "lat": 500}),
        ("place", "Brighton"),
        ("travel_miles", -5),
        ("travel_miles", "20"),
        ("travel_miles", True),
        ("travel_miles", float("nan")),
        ("degree", "2:1"),
        ("gcse_maths", True),
        ("needs_salary", "yes"),
        ("mode", "sometimes"),
        ("start", 2027),
        ("lives_in_england", 1),
    ],
)
def test_bad_values_are_dropped_and_the_rest_kept(key: str, bad: object) -> None:
    stored = FULL.to_dict() | {key: bad}
    loaded = Profile.from_dict(stored)
    assert getattr(loaded, key) in (None, ())
    others = {k: v for k, v in FULL.to_dict().items() if k != key}
    assert {k: v for k, v in loaded.to_dict().items() if k != key} == others


def test_subjects_keep_order_and_drop_junk() -> None:
    loaded = Profile.from_dict({"subjects": ["physics", 3, "", "physics", "history"]})
    assert loaded.subjects == ("physics", "history")
