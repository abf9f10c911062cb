"""Building the shortlist: money lines, which providers qualify, and an order by personal criteria only."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from shortlist_factory import knowledge, provider

from bot.knowledge.model import Phase, Provider
from bot.shortlist.geo import Place
from bot.shortlist.profile import Profile
from bot.shortlist.rank import DISTANCE_BANDS, RouteFit, Shortlist, build_shortlist, distance_band

TODAY = date(2026, 11, 23)
HOME = Place("Home", "East Sussex", "South East", "England", 50.8284, -0.1395, "place")
MILE_NORTH = 1 / 69.09  # degrees of latitude in one mile
PHYSICS_GRADUATE = Profile(
    subjects=("physics",),
    phase=Phase.SECONDARY,
    place=HOME,
    travel_miles=50,
    degree="upper_second",
    gcse_english="yes",
    gcse_maths="yes",
    lives_in_england=True,
    start="next_september",
)


def north(miles: float) -> tuple[float, float]:
    return HOME.lat + miles * MILE_NORTH, HOME.lon


def build(
    providers: tuple[Provider, ...] = (), profile: Profile = PHYSICS_GRADUATE, seed: str = "s"
) -> Shortlist:
    return build_shortlist(knowledge(providers), profile, seed, 8, TODAY)


def route_fit(shortlist: Shortlist, route_id: str) -> RouteFit:
    return next(fit for fit in shortlist.routes if fit.route_id == route_id)


def test_open_routes_come_first() -> None:
    routes = build().routes
    flags = [fit.eligible for fit in routes]
    assert flags == sorted(flags, reverse=True)
    assert not route_fit(build(), "iqts").eligible


def test_physics_bursary_and_scholarship_are_fact_paths() -> None:
    pgce = route_fit(build(), "pgce-university")
    facts = {path for line in pgce.money for _, path in line.facts}
    assert "bursaries.current.physics.bursary" in facts
    assert "bursaries.current.physics.scholarship" in facts
    assert "fees.current.full_time_max" in facts
    shown = knowledge().facts
    assert all(path in shown for path in facts)


def test_a_primary_trainee_is_not_shown_a_secondary_subject_bursary() -> None:
    person = replace(PHYSICS_GRADUATE, phase=Phase.PRIMARY, subjects=("primary", "physics"))
    pgce = route_fit(build(profile=person), "pgce-university")
    facts = {path for line in pgce.money for _, path in line.facts}
    assert "bursaries.current.physics.bursary" not in facts


def test_a_subject_without_a_bursary_says_so() -> None:
    person = replace(PHYSICS_GRADUATE, subjects=("history",))
    pgce = route_fit(build(profile=person), "pgce-university")
    assert "shortlist.money_no_bursary" in [line.key for line in pgce.money]
    assert (
        dict(next(line for line in pgce.money if line.key.endswith("no_bursary")).params)["year"] == "2026/27"
    )


def test_salaried_routes_show_the_unqualified_pay_range() -> None:
    salaried = route_fit(build(), "school-direct-salaried")
    [line] = salaried.money
    assert dict(line.facts) == {
        "low": "pay.current.unqualified.england.min",
        "high": "pay.current.unqualified.england.max",
        "year": "pay.current.academic_year",
    }


def test_route_specific_fees_are_used_where_stated() -> None:
    assessment = route_fit(build(), "assessment-only")
    assert [dict(line.facts) for line in assessment.money] == [
        {"low": "fees.assessment_only.low", "high": "fees.assessment_only.high"}
    ]


def test_notes_on_timing_and_the_year_of_the_figures() -> None:
    notes = {note.key: note for note in build().notes}
    assert dict(notes["shortlist.start_apply_now"].facts) == {"date": "cycle.2027-28.candidate_deadline"}
    assert dict(notes["shortlist.money_year_differs"].params) == {
        "money_year": "2026/27",
        "start_year": "2027/28",
    }
    before = build_shortlist(knowledge(), PHYSICS_GRADUATE, "s", 8, date(2026, 9, 20))
    assert "shortlist.start_apply_opens" in [note.key for note in before.notes]


def test_providers_must_offer_an_open_route_subject_and_phase_within_reach() -> None:
    providers = (
        provider("fits", *north(3)),
        provider("primary-only", *north(3), phases=(Phase.PRIMARY,), subjects=("primary",)),
        provider("languages-only", *north(3), subjects=("french",)),
        provider("closed-route-only", *north(3), routes=("iqts",)),
        provider("too-far", *north(80)),
    )
    assert [fit.provider_id for fit in build(providers).providers] == ["fits"]


def test_all_subjects_means_all_subjects_of_its_phases() -> None:
    primary_school = provider("primary-school", *north(3), phases=(Phase.PRIMARY,))
    person = replace(PHYSICS_GRADUATE, phase=None)
    assert build((primary_school,), person).providers == ()


def test_without_a_place_every_provider_is_listed_with_no_distance() -> None:
    person = replace(PHYSICS_GRADUATE, place=None)
    fits = build((provider("a", *north(3)), provider("b", *north(300))), person).providers
    assert {fit.provider_id for fit in fits} == {"a", "b"}
    assert all(fit.distance_miles is None for fit in fits)


def test_distance_is_measured_in_miles() -> None:
    [fit] = build((provider("a", *north(12)),)).providers
    assert fit.distance_miles is not None
    assert abs(fit.distance_miles - 12) < 0.01
    assert fit.band == distance_band(12) == 2


def test_distance_bands() -> None:
    assert [distance_band(m) for m in (0, 5, 5.1, 10, 19, 34, 59, 61)] == [0, 0, 1, 1, 2, 3, 4, 5]
    assert distance_band(None) > len(DISTANCE_BANDS)


def test_better_fit_beats_nearer() -> None:
    earner = replace(PHYSICS_GRADUATE, needs_salary=True)
    providers = (
        provider("near-fee", *north(1)),
        provider("far-salaried", *north(40), routes=("school-direct-salaried",)),
    )
    assert [fit.provider_id for fit in build(providers, earner).providers] == ["far-salaried", "near-fee"]


def test_nearer_band_beats_further_band_at_equal_fit() -> None:
    ids = [f"p{i}" for i in range(6)]
    providers = tuple(provider(pid, *north(4 if i % 2 else 25)) for i, pid in enumerate(ids))
    for seed in ("a", "b", "c"):
        bands = [fit.band for fit in build(providers, seed=seed).providers]
        assert bands == sorted(bands)


def test_same_person_same_order_whatever_the_file_order() -> None:
    providers = [provider(f"provider-{i}", *north(2 + i / 10)) for i in range(8)]
    expected = build(tuple(providers), seed="person-1").providers
    shuffler = random.Random(7)
    for _ in range(10):
        shuffler.shuffle(providers)
        assert build(tuple(providers), seed="person-1").providers == expected


def test_order_ignores_names_kinds_and_accreditation() -> None:
    providers = [provider(f"provider-{i}", *north(2)) for i in range(6)]
    relabelled = [
        replace(p, name=f"{'Z' * (i + 1)} College", kind="university", accreditation="partner")
        for i, p in enumerate(providers)
    ]
    for seed in ("x", "y", "z"):
        first = [fit.provider_id for fit in build(tuple(providers), seed=seed).providers]
        second = [fit.provider_id for fit in build(tuple(relabelled), seed=seed).providers]
        assert first == second


def test_different_people_see_different_orders() -> None:
    providers = tuple(provider(f"provider-{i}", *north(2)) for i in range(6))
    orders = {tuple(fit.provider_id for fit in build(providers, seed=f"p{n}").providers) for n in range(40)}
    assert len(orders) > 20


def test_max_providers_cuts_the_list_and_counts_the_rest() -> None:
    providers = tuple(provider(f"provider-{i}", *north(2)) for i in range(11))
    shortlist = build_shortlist(knowledge(providers), PHYSICS_GRADUATE, "s", 4, TODAY)
    assert len(shortlist.providers) == 4
    assert shortlist.more_providers == 7


def test_training_from_abroad_ignores_distance() -> None:
    abroad = Profile(
        degree="first", lives_in_england=False, place=replace(HOME, country="Wales"), travel_miles=5
    )
    far = provider("far", *north(200), routes=("iqts",))
    [fit] = build((far,), abroad).providers
    assert fit.distance_miles is None
    assert fit.routes == ("iqts",)
