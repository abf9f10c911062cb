"""Each eligibility and fit rule, one at a time, on hand-made routes."""

from __future__ import annotations

from dataclasses import replace

from shortlist_factory import route

from bot.knowledge.model import Funding, Phase, StudyMode
from bot.shortlist.eligibility import Reason, judge_route
from bot.shortlist.geo import Place
from bot.shortlist.profile import Profile

PGCE = route("pgce-university")
FULL_TIME_ONLY = route("scitt", modes=(StudyMode.FULL_TIME,))
SALARIED = route(
    "school-direct-salaried", funding=Funding.SALARY, bursary_eligible=False, visa="skilled_worker"
)
APPRENTICESHIP = route(
    "teacher-degree-apprenticeship", funding=Funding.APPRENTICESHIP, needs_degree=False, visa="none"
)
ASSESSMENT = route("assessment-only", needs_teaching_experience=True, visa="none")
IQTS = route("iqts", lives_in="outside_england", visa="none")
PRIMARY_ONLY = route("primary-route", phases=(Phase.PRIMARY,))
GRADUATE = Profile(degree="upper_second", gcse_english="yes", gcse_maths="yes", lives_in_england=True)
ABROAD = Place("Cardiff", "Cardiff", "Wales", "Wales", 51.48, -3.18, "place")


def keys(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.key for r in reasons]


def test_a_graduate_with_gcses_can_do_a_pgce() -> None:
    eligible, _score, reasons = judge_route(PGCE, GRADUATE)
    assert eligible
    assert not [k for k in keys(reasons) if "_no" in k]


def test_no_degree_closes_postgraduate_routes() -> None:
    eligible, _, reasons = judge_route(PGCE, Profile(degree="none"))
    assert not eligible
    assert keys(reasons)[0] == "shortlist.degree_needed_none"


def test_a_student_keeps_postgraduate_routes_with_a_note() -> None:
    eligible, _, reasons = judge_route(PGCE, Profile(degree="studying"))
    assert eligible
    assert "shortlist.degree_needed_studying" in keys(reasons)


def test_a_route_for_people_without_a_degree_is_closed_to_a_graduate() -> None:
    eligible, _, reasons = judge_route(APPRENTICESHIP, GRADUATE)
    assert not eligible
    assert keys(reasons)[0] == "shortlist.degree_not_needed_graduate"
    assert judge_route(PGCE, GRADUATE)[0]


def test_without_a_degree_the_degree_routes_fit_best() -> None:
    person = Profile(degree="none")
    _, apprenticeship_score, _ = judge_route(APPRENTICESHIP, person)
    assert apprenticeship_score > 0


def test_a_third_means_checking_entry_requirements() -> None:
    eligible, _, reasons = judge_route(PGCE, Profile(degree="third"))
    assert eligible
    assert "shortlist.degree_class_third" in keys(reasons)


def test_missing_gcse_maths_closes_the_route() -> None:
    eligible, _, reasons = judge_route(PGCE, Profile(degree="first", gcse_maths="no"))
    assert not eligible
    assert keys(reasons)[0] == "shortlist.gcse_maths_no"


def test_pending_gcse_keeps_the_route_open() -> None:
    eligible, _, reasons = judge_route(PGCE, Profile(degree="first", gcse_english="pending"))
    assert eligible
    assert "shortlist.gcse_english_pending" in keys(reasons)


def test_science_gcse_matters_only_for_primary() -> None:
    secondary = Profile(degree="first", gcse_science="no", phase=Phase.SECONDARY)
    primary = Profile(degree="first", gcse_science="no", phase=Phase.PRIMARY)
    assert judge_route(PGCE, secondary)[0]
    assert not judge_route(PGCE, primary)[0]


def test_living_outside_england_closes_england_routes_and_opens_iqts() -> None:
    abroad = Profile(degree="first", lives_in_england=False)
    assert not judge_route(PGCE, abroad)[0]
    eligible, score, _ = judge_route(IQTS, abroad)
    assert eligible
    assert score > 0


def test_living_in_england_closes_iqts() -> None:
    eligible, _, reasons = judge_route(IQTS, GRADUATE)
    assert not eligible
    assert keys(reasons)[0] == "shortlist.residence_outside_only"


def test_a_place_outside_england_counts_as_living_outside_it() -> None:
    assert not judge_route(PGCE, Profile(degree="first", place=ABROAD))[0]


def test_needing_a_visa_closes_routes_that_cannot_sponsor() -> None:
    needs_visa = replace(GRADUATE, needs_visa=True)
    assert not judge_route(ASSESSMENT, needs_visa)[0]
    eligible, _, reasons = judge_route(SALARIED, needs_visa)
    assert eligible
    assert "shortlist.visa_skilled_worker" in keys(reasons)
    assert "shortlist.visa_student" in keys(judge_route(PGCE, needs_visa)[2])


def test_assessment_only_needs_teaching_experience() -> None:
    assert not judge_route(ASSESSMENT, Profile(degree="first", teaching_experience=False))[0]
    teacher = judge_route(ASSESSMENT, Profile(degree="first", teaching_experience=True))
    unknown = judge_route(ASSESSMENT, Profile(degree="first"))
    assert teacher[0]
    assert not unknown[0]  # only people who say they already teach see it as open
    assert keys(unknown[2]) == ["shortlist.experience_needed_unknown"]


def test_phase_must_match() -> None:
    eligible, _, reasons = judge_route(PRIMARY_ONLY, Profile(phase=Phase.SECONDARY))
    assert not eligible
    assert keys(reasons) == ["shortlist.phase_not_offered"]
    assert judge_route(PRIMARY_ONLY, Profile(phase=Phase.PRIMARY))[0]


def test_needing_a_salary_favours_salaried_routes() -> None:
    earner = Profile(degree="first", needs_salary=True)
    assert judge_route(SALARIED, earner)[1] > judge_route(PGCE, earner)[1]
    saver = Profile(degree="first", needs_salary=False)
    assert judge_route(PGCE, saver)[1] > judge_route(SALARIED, saver)[1]


def test_part_time_wish_favours_routes_offering_it() -> None:
    part_timer = Profile(degree="first", mode="part_time")
    assert judge_route(PGCE, part_timer)[1] > judge_route(FULL_TIME_ONLY, part_timer)[1]
    assert "shortlist.mode_part_time_missing" in keys(judge_route(FULL_TIME_ONLY, part_timer)[2])
    either = Profile(degree="first", mode="either")
    assert judge_route(PGCE, either)[1] == judge_route(FULL_TIME_ONLY, either)[1]


def test_an_empty_profile_closes_only_what_needs_a_stated_condition() -> None:
    for candidate in (PGCE, SALARIED, APPRENTICESHIP, IQTS, PRIMARY_ONLY):
        assert judge_route(candidate, Profile())[0]
    assert not judge_route(ASSESSMENT, Profile())[0]


def test_living_in_wales_keeps_english_routes_open_and_puts_iqts_last() -> None:
    welsh = Profile(degree="first", nation="wales", lives_in_england=False)
    anywhere = route("pgce-anywhere", lives_in="any")
    assert judge_route(anywhere, welsh)[0]
    england_only = judge_route(PGCE, welsh)
    assert not england_only[0]
    assert keys(england_only[2]) == ["shortlist.residence_england_only_uk"]
    _, score, reasons = judge_route(IQTS, welsh)
    assert score < judge_route(anywhere, welsh)[1]
    assert "shortlist.residence_outside_uk_nation" in keys(reasons)
