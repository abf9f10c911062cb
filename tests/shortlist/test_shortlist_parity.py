"""Exposure parity, measured: over many people, equally fitting providers are shown first equally often."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date

from shortlist_factory import knowledge, provider

from bot.knowledge.model import Knowledge, Phase
from bot.shortlist.geo import Place
from bot.shortlist.profile import Profile
from bot.shortlist.rank import build_shortlist

PEOPLE = 10_000
TODAY = date(2026, 11, 23)
HOME = Place("Home", "South Yorkshire", "Yorkshire and The Humber", "England", 53.383, -1.4659, "place")
MILE = 1 / 69.09
# Equally fitting providers, all within 5 miles (one band), with names, kinds and accreditation
# that an unfair order might favour.
EQUALS = (
    provider("aardvark-university", HOME.lat + 1 * MILE, HOME.lon, kind="university"),
    provider("bramble-scitt", HOME.lat + 2 * MILE, HOME.lon, accreditation="partner"),
    provider("cedar-partnership", HOME.lat + 3 * MILE, HOME.lon, kind="school_partnership"),
    provider("damson-scitt", HOME.lat + 4.5 * MILE, HOME.lon, accreditation="unverified"),
)
OTHERS = (
    provider("nearby-but-fits-less", HOME.lat, HOME.lon, routes=("scitt",)),
    provider("equal-fit-but-further", HOME.lat + 15 * MILE, HOME.lon),
)
MAX_RATIO = 1.10


def people() -> list[Profile]:
    """Varied people who all see the EQUALS as an equally good fit (part-time PGCE seekers nearby)."""
    chooser = random.Random(2026)
    base = Profile(
        place=HOME, travel_miles=30, degree="upper_second", mode="part_time", lives_in_england=True
    )
    subjects = (("physics",), ("geography",), ("history",), ("physics", "geography"), ())
    return [
        replace(
            base,
            subjects=chooser.choice(subjects),
            phase=chooser.choice((Phase.SECONDARY, None)),
            needs_salary=chooser.choice((False, None)),
            gcse_maths=chooser.choice(("yes", "pending", None)),
            start=chooser.choice(("next_september", "later", None)),
        )
        for _ in range(PEOPLE)
    ]


def file_orders() -> list[Knowledge]:
    """The same providers in several file orders, so no order can hide behind the file."""
    shuffler = random.Random(1)
    orders = []
    for _ in range(4):
        providers = list(EQUALS + OTHERS)
        shuffler.shuffle(providers)
        orders.append(knowledge(tuple(providers)))
    return orders


def test_equally_fitting_providers_get_equal_exposure() -> None:
    equals = {p.id for p in EQUALS}
    first: Counter[str] = Counter()
    top_three: Counter[str] = Counter()
    variants = file_orders()
    for n, person in enumerate(people()):
        shortlist = build_shortlist(variants[n % len(variants)], person, f"user-{n}", 8, TODAY)
        shown = [fit.provider_id for fit in shortlist.providers]
        assert set(shown[: len(equals)]) == equals  # the equal group always leads, as one group
        first[shown[0]] += 1
        top_three.update(shown[:3])
    for counts in (first, top_three):
        assert set(counts) == equals
        assert max(counts.values()) / min(counts.values()) <= MAX_RATIO, counts
    assert sum(first.values()) == PEOPLE
