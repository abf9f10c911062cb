"""Every sentence the shortlist can produce exists in messages/shortlist.yaml and can be filled in."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import yaml
from shortlist_factory import ROUTES, knowledge, route

from bot.knowledge.model import Knowledge, Phase, StudyMode
from bot.shortlist.eligibility import Reason
from bot.shortlist.geo import Place
from bot.shortlist.profile import DEGREES, GCSE_ANSWERS, MODES, STARTS, Profile
from bot.shortlist.rank import DISTANCE_BANDS, build_shortlist, explain_method_keys

MESSAGES = Path(__file__).resolve().parents[2] / "knowledge" / "messages" / "shortlist.yaml"
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
DAYS = (date(2026, 9, 20), date(2026, 11, 23), date(2027, 8, 25))
HOME = Place("Home", "Kent", "South East", "England", 51.27, 1.08, "place")


WITH_PART_TIME_ONLY = knowledge(routes=(*ROUTES, route("part-time-only", modes=(StudyMode.PART_TIME,))))


NATIONS = MESSAGES.parent / "nations.yaml"
# Names of the London pay areas, which fill the money lines rather than being lines of their own.
LABELS = ("shortlist.pay_area_",)


def texts() -> dict[str, str]:
    data = yaml.safe_load(MESSAGES.read_text(encoding="utf-8"))
    return {f"shortlist.{key}": value for key, value in data.items()}


def nation_texts() -> dict[str, str]:
    data = yaml.safe_load(NATIONS.read_text(encoding="utf-8"))
    return {f"nations.{key}": value for key, value in data.items()}


def many_people() -> list[Profile]:
    """A spread of people that between them should touch every rule."""
    out = []
    for degree, gcse, mode, start in itertools.product(DEGREES, GCSE_ANSWERS, MODES, STARTS):
        out.append(
            Profile(
                subjects=("physics", "history"),
                phase=Phase.PRIMARY if gcse == "no" else Phase.SECONDARY,
                place=HOME,
                degree=degree,
                gcse_english=gcse,
                gcse_maths=gcse,
                gcse_science=gcse,
                mode=mode,
                start=start,
                needs_salary=gcse == "yes",
            )
        )
    for gcse, answer in itertools.product(("english", "maths", "science"), ("no", "pending")):
        out.append(Profile(degree="first", phase=Phase.PRIMARY, **{f"gcse_{gcse}": answer}))
    for flag in (True, False, None):
        out.append(Profile(degree="first", needs_visa=flag, lives_in_england=flag, teaching_experience=flag))
        out.append(Profile(degree="first", has_qts=flag))
    for area in ("inner_london", "outer_london", "london_fringe", "london", "england"):
        out.append(Profile(degree="first", needs_salary=True, pay_area=area))
    for nation in ("wales", "scotland", "northern_ireland"):
        out.append(Profile(degree="first", nation=nation, lives_in_england=False))
        out.append(Profile(degree="first", needs_salary=flag is False, phase=Phase.EARLY_YEARS))
    out.append(Profile(degree="first", nation="abroad", abroad="Bangkok", lives_in_england=False))
    return out


def _new_year_entered(base: Knowledge, namespace: str) -> Knowledge:
    """The same knowledge once one file's figures for the next year (2027/28) were entered."""
    prefix = f"{namespace}.current."
    moved = {
        p: replace(f, academic_year="2027/28") if p.startswith(prefix) else f for p, f in base.facts.items()
    }
    return replace(base, facts=moved)


def produced() -> list[Reason]:
    found: list[Reason] = []
    variants = [
        WITH_PART_TIME_ONLY,
        *(_new_year_entered(WITH_PART_TIME_ONLY, n) for n in ("fees", "bursaries")),
    ]
    for today, variant in itertools.product(DAYS, variants):
        for person in many_people():
            shortlist = build_shortlist(variant, person, "seed", 8, today)
            found.extend(shortlist.notes)
            for fit in shortlist.routes:
                found.extend(fit.reasons + fit.money)
    return found


def test_every_reason_has_a_message_whose_placeholders_are_filled() -> None:
    messages = texts() | nation_texts()
    facts = knowledge()
    for reason in set(produced()):
        assert reason.key in messages, reason.key
        wanted = {p for p in PLACEHOLDER.findall(messages[reason.key]) if "." not in p}  # dotted: values
        assert wanted <= set(reason.values(facts)), (reason.key, wanted)


def test_every_message_is_used() -> None:
    used = {reason.key for reason in produced()} | set(explain_method_keys())
    assert {key for key in texts() if not key.startswith(LABELS)} - used == set()


def test_how_explains_every_distance_band() -> None:
    [how] = [texts()[key] for key in explain_method_keys()]
    for edge in DISTANCE_BANDS:
        assert f"{edge:g}" in how
    assert "random order that is fixed for you" in how


def test_money_facts_are_formatted_as_people_read_them() -> None:
    person = replace(many_people()[0], degree="first", subjects=("physics",))
    pgce = next(
        f
        for f in build_shortlist(knowledge(), person, "s", 8, DAYS[1]).routes
        if f.route_id == "pgce-university"
    )
    bursary = next(line for line in pgce.money if line.key == "shortlist.money_bursary")
    assert bursary.values(knowledge()) == {"subject": "Physics", "amount": "£29,000"}
