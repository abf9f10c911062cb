"""The rules that decide whether a route is open to a person and how well it fits what they said."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.knowledge.model import Funding, Knowledge, Phase, Route, StudyMode
from bot.knowledge.values import format_fact
from bot.shortlist.profile import Profile

__all__ = ["ELIGIBILITY_RULES", "FIT_RULES", "Finding", "Reason", "judge_route", "lives_in_england"]

MESSAGES = "shortlist"
SALARIED = frozenset({Funding.SALARY, Funding.APPRENTICESHIP})
SCIENCE_PHASES = frozenset({Phase.PRIMARY, Phase.EARLY_YEARS})
UK_NATIONS = frozenset({"wales", "scotland", "northern_ireland"})


@dataclass(frozen=True, slots=True)
class Reason:
    """A sentence the bot can say, as a key of messages/shortlist.yaml and what fills its placeholders.

    ``params`` fill ``{name}`` placeholders with plain text from the knowledge files (a subject's
    name); ``facts`` fill them with the figure at a value path, formatted as people read it.
    """

    key: str
    params: tuple[tuple[str, str], ...] = ()
    facts: tuple[tuple[str, str], ...] = ()

    def values(self, knowledge: Knowledge) -> dict[str, str]:
        """Returns the text for every placeholder, with each fact formatted (£29,000)."""
        out = dict(self.params)
        for name, path in self.facts:
            fact = knowledge.facts.get(path)
            if fact is not None:
                out[name] = format_fact(fact)
        return out


def reason(name: str, **params: str) -> Reason:
    """Returns a Reason for the message shortlist.<name> with plain-text placeholders."""
    return Reason(f"{MESSAGES}.{name}", tuple(sorted(params.items())))


@dataclass(frozen=True, slots=True)
class Finding:
    """What one rule found: why, whether it closes the route, and how it moves the fit score."""

    reason: Reason
    blocks: bool = False
    score: int = 0


Rule = Callable[[Route, Profile], "Finding | None"]


def lives_in_england(profile: Profile) -> bool | None:
    """Returns whether the person lives in England, from what they said or else from their place."""
    if profile.lives_in_england is not None:
        return profile.lives_in_england
    return None if profile.place is None else profile.place.country == "England"


# Eligibility: each rule may close a route (blocks=True) or warn about a condition.


def phase_rule(route: Route, profile: Profile) -> Finding | None:
    """A route must train teachers for the age group the person chose."""
    if profile.phase is None or profile.phase in route.phases:
        return None
    return Finding(reason("phase_not_offered"), blocks=True)


def degree_rule(route: Route, profile: Profile) -> Finding | None:
    """A postgraduate route needs a degree; a route for non-graduates suits those without one."""
    if route.needs_degree:
        if profile.degree == "none":
            return Finding(reason("degree_needed_none"), blocks=True)
        if profile.degree == "studying":
            return Finding(reason("degree_needed_studying"))
        return None
    if profile.has_degree:
        return Finding(reason("degree_not_needed_graduate"), blocks=True)
    if profile.degree == "studying":
        return Finding(reason("degree_not_needed_studying"), score=-2)
    if profile.degree == "none":
        return Finding(reason("degree_not_needed_fits"), score=1)
    return None


def degree_class_rule(route: Route, profile: Profile) -> Finding | None:
    """Most providers ask for a 2:2 or above; a third or another degree means checking first."""
    if route.needs_degree and profile.degree in ("third", "other"):
        return Finding(reason(f"degree_class_{profile.degree}"), score=-1)
    return None


def gcse_rule(route: Route, profile: Profile) -> Finding | None:
    """English and maths at grade 4 (C) are needed, and science for primary and early years."""
    needed = ["english", "maths"] + (["science"] if profile.phase in SCIENCE_PHASES else [])
    answers = {
        "english": profile.gcse_english,
        "maths": profile.gcse_maths,
        "science": profile.gcse_science,
    }
    missing = [gcse for gcse in needed if answers[gcse] == "no"]
    if missing:
        if route.lives_in == "outside_england":
            return Finding(reason("gcse_equivalent_abroad"), score=-1)
        return Finding(reason(f"gcse_{missing[0]}_no"), blocks=True)
    pending = [gcse for gcse in needed if answers[gcse] == "pending"]
    if pending:
        return Finding(reason(f"gcse_{pending[0]}_pending"))
    return None


def residence_rule(route: Route, profile: Profile) -> Finding | None:
    """Most routes are for people living in England; iQTS is only for those living outside it."""
    in_england = lives_in_england(profile)
    in_uk = profile.nation in UK_NATIONS
    if route.lives_in == "england" and in_england is False:
        return Finding(
            reason("residence_england_only_uk" if in_uk else "residence_england_only"), blocks=True
        )
    if route.lives_in == "outside_england":
        if in_uk:  # iQTS is meant for training abroad; the nation's own courses and England's come first
            return Finding(reason("residence_outside_uk_nation"), score=-3)
        if in_england is True:
            return Finding(reason("residence_outside_only"), blocks=True)
        if in_england is None:
            return Finding(reason("residence_outside_unknown"), score=-2)
        return Finding(reason("residence_outside_fits"), score=1)
    return None


def visa_rule(route: Route, profile: Profile) -> Finding | None:
    """A person who needs a visa needs a route whose provider or school can sponsor one."""
    if profile.needs_visa is not True or route.lives_in == "outside_england":
        return None  # a route trained where the person lives abroad needs no UK visa
    if route.visa == "none":
        return Finding(reason("visa_none"), blocks=True)
    return Finding(reason(f"visa_{route.visa}"))


def experience_rule(route: Route, profile: Profile) -> Finding | None:
    """Assessment only is for people who already teach; it is closed to others."""
    if not route.needs_teaching_experience:
        return None
    if profile.teaching_experience is False:
        return Finding(reason("experience_needed_no"), blocks=True)
    if profile.teaching_experience is None:
        # Open only to people who already teach: unless they have said so, it is listed apart with why.
        return Finding(reason("experience_needed_unknown"), blocks=True)
    return Finding(reason("experience_fits"), score=2)


# Fit: rules that never close a route but move it up or down.


def money_rule(route: Route, profile: Profile) -> Finding | None:
    """A person who needs to earn while training is best served by salaried routes."""
    salaried = route.funding in SALARIED
    if profile.needs_salary is True:
        if salaried:
            return Finding(reason("salary_fits"), score=2)
        return Finding(reason("fee_when_salary_wanted"), score=-1)
    if profile.needs_salary is False and not salaried:
        return Finding(reason("fee_fits"), score=1)
    return None


def mode_rule(route: Route, profile: Profile) -> Finding | None:
    """A person who wants part-time (or full-time) study needs a route that offers it."""
    if profile.mode not in ("full_time", "part_time"):
        return None
    if StudyMode(profile.mode) in route.modes:
        return Finding(reason("mode_part_time_offered"), score=1) if profile.mode == "part_time" else None
    return Finding(reason(f"mode_{profile.mode}_missing"), score=-2)


ELIGIBILITY_RULES: tuple[Rule, ...] = (
    phase_rule,
    degree_rule,
    degree_class_rule,
    gcse_rule,
    residence_rule,
    visa_rule,
    experience_rule,
)
FIT_RULES: tuple[Rule, ...] = (money_rule, mode_rule)


def judge_route(route: Route, profile: Profile) -> tuple[bool, int, tuple[Reason, ...]]:
    """Returns (eligible, fit score, reasons) for one route, the closing reasons first."""
    findings = [f for rule in ELIGIBILITY_RULES + FIT_RULES if (f := rule(route, profile)) is not None]
    eligible = not any(f.blocks for f in findings)
    ordered = sorted(findings, key=lambda f: not f.blocks)
    return eligible, sum(f.score for f in findings), tuple(f.reason for f in ordered)
