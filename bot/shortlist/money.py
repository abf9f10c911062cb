"""The money lines of a route for one person: the value paths that state its fees, bursaries or pay."""

from __future__ import annotations

from datetime import date

from bot.knowledge.model import Funding, Knowledge, Route, StudyMode
from bot.shortlist.eligibility import SALARIED, Reason, reason
from bot.shortlist.profile import Profile

__all__ = ["route_money", "start_notes"]

UNQUALIFIED = "pay.current.unqualified"
UNQUALIFIED_PAY = (f"{UNQUALIFIED}.england.min", f"{UNQUALIFIED}.england.max")
LONDON_AREAS = ("inner_london", "outer_london", "london_fringe")
FULL_TIME_FEE = "fees.current.full_time_max"
PART_TIME_FEE = "fees.current.part_time_max"
NON_UK_FEES = ("fees.non_uk.average", "fees.non_uk.max_full_time")
SEPTEMBER = 9


def route_money(knowledge: Knowledge, route: Route, profile: Profile) -> tuple[Reason, ...]:
    """Returns what the route costs or pays, and any bursary for the person's subjects."""
    if route.funding in SALARIED:
        return _salary_lines(knowledge, route, profile)
    return _fee_lines(knowledge, route, profile) + _bursary_lines(knowledge, route, profile)


def _with_facts(knowledge: Knowledge, name: str, params: dict[str, str], **facts: str) -> Reason | None:
    """Returns the Reason only when the values files state every fact it needs."""
    if not all(path in knowledge.facts for path in facts.values()):
        return None
    base = reason(name, **params)
    return Reason(base.key, base.params, tuple(sorted(facts.items())))


def _present(*lines: Reason | None) -> tuple[Reason, ...]:
    return tuple(line for line in lines if line is not None)


def _salary_lines(knowledge: Knowledge, route: Route, profile: Profile) -> tuple[Reason, ...]:
    """The pay scale for the person's own area: inner or outer London, the fringe, or the rest of England."""
    name = "money_salary_apprenticeship" if route.funding == Funding.APPRENTICESHIP else "money_salary"
    low, high = UNQUALIFIED_PAY
    year = "pay.current.academic_year"
    area = profile.pay_area
    if area in LONDON_AREAS:
        low, high = f"{UNQUALIFIED}.{area}.min", f"{UNQUALIFIED}.{area}.max"
        name = f"{name}_area"
    elif (
        area == "london"
    ):  # somewhere in London, borough unknown: from outer London's lowest to inner's highest
        low, high = f"{UNQUALIFIED}.outer_london.min", f"{UNQUALIFIED}.inner_london.max"
        name = f"{name}_london"
    area_name = knowledge.messages.get(f"shortlist.pay_area_{area}", "")
    params = {"area": area_name} if area in LONDON_AREAS else {}
    return _present(_with_facts(knowledge, name, params, low=low, high=high, year=year))


def _route_fee(knowledge: Knowledge, route: Route) -> Reason | None:
    """A route with its own fee facts states them under fees.<route id with underscores>."""
    for name in (route.id.replace("-", "_"), route.id.split("-")[0]):
        ranged = _with_facts(
            knowledge, "money_fee_range", {}, low=f"fees.{name}.low", high=f"fees.{name}.high"
        )
        typical = _with_facts(knowledge, "money_fee_typical", {}, amount=f"fees.{name}.typical")
        if ranged or typical:
            return ranged or typical
    return None


def _fee_lines(knowledge: Knowledge, route: Route, profile: Profile) -> tuple[Reason, ...]:
    own = _route_fee(knowledge, route)
    if own is not None:
        return (own,)
    wants_part_time = profile.mode in ("part_time", "either") and StudyMode.PART_TIME in route.modes
    return _present(
        _with_facts(knowledge, "money_fee_full_time", {}, amount=FULL_TIME_FEE)
        if StudyMode.FULL_TIME in route.modes
        else None,
        _with_facts(knowledge, "money_fee_part_time", {}, amount=PART_TIME_FEE) if wants_part_time else None,
        _with_facts(knowledge, "money_fee_non_uk", {}, average=NON_UK_FEES[0], high=NON_UK_FEES[1])
        if profile.needs_visa
        else None,
    )


def _bursary_lines(knowledge: Knowledge, route: Route, profile: Profile) -> tuple[Reason, ...]:
    if not route.bursary_eligible:
        return ()
    lines: list[Reason] = []
    for subject_id in profile.subjects:
        subject = knowledge.subjects.get(subject_id)
        # Subject bursaries are for teaching that subject in its own phase: a primary trainee with a maths
        # specialism is funded as a primary trainee.
        if subject is not None and (profile.phase is None or profile.phase in subject.phases):
            lines.extend(_subject_funding(knowledge, subject_id, subject.name))
    if any(line.key.endswith("money_bursary") for line in lines) and profile.degree in ("third", "other"):
        lines.append(reason("money_bursary_degree_class"))
    return tuple(lines)


def _subject_funding(knowledge: Knowledge, subject_id: str, name: str) -> tuple[Reason, ...]:
    base = f"bursaries.current.{subject_id}"
    params = {"subject": name}
    bursary = _with_facts(knowledge, "money_bursary", params, amount=f"{base}.bursary")
    scholarship = _with_facts(
        knowledge, "money_scholarship", params, amount=f"{base}.scholarship", body=f"{base}.scholarship_body"
    )
    if bursary is None:
        year = _bursary_year(knowledge)
        return (reason("money_no_bursary", subject=name, year=year),) if year else ()
    return _present(bursary, scholarship)


def _bursary_year(knowledge: Knowledge) -> str | None:
    """Returns the academic year of the current bursary figures, as the values files state it."""
    prefix = "bursaries.current."
    return next((f.academic_year for p, f in knowledge.facts.items() if p.startswith(prefix)), None)


def start_year(today: date) -> int:
    """Returns the year of the next September in which a course could start."""
    return today.year + 1 if today.month >= SEPTEMBER else today.year


def start_notes(knowledge: Knowledge, profile: Profile, today: date) -> tuple[Reason, ...]:
    """Returns notes on when to apply, and whether the figures shown are for the year the person starts."""
    year = start_year(today) if profile.start != "later" else start_year(today) + 1
    key = f"{year}-{(year + 1) % 100:02d}"
    return _present(_timing_note(knowledge, profile, today, key, year), _money_year_note(knowledge, year))


def _timing_note(knowledge: Knowledge, profile: Profile, today: date, key: str, year: int) -> Reason | None:
    opens, deadline = f"cycle.{key}.apply_opens", f"cycle.{key}.candidate_deadline"
    params = {"year": str(year)}
    opens_fact, deadline_fact = knowledge.facts.get(opens), knowledge.facts.get(deadline)
    if opens_fact is None or deadline_fact is None or profile.start == "not_sure":
        return None
    if isinstance(opens_fact.value, date) and today < opens_fact.value:
        return _with_facts(knowledge, "start_apply_opens", params, date=opens)
    if isinstance(deadline_fact.value, date) and today > deadline_fact.value:
        return reason("start_deadline_passed", **params)
    return _with_facts(knowledge, "start_apply_now", params, date=deadline)


def _money_year_note(knowledge: Knowledge, year: int) -> Reason | None:
    """Says which of the fees and bursaries shown are for an earlier year than the person would start in."""
    wanted = f"{year}/{(year + 1) % 100:02d}"
    fee = knowledge.facts.get(FULL_TIME_FEE)
    fees = None if fee is None or fee.academic_year in (None, wanted) else fee.academic_year
    bursary = _bursary_year(knowledge)
    bursaries = None if bursary in (None, wanted) else bursary
    # Each is judged on its own year: a new year's bursaries are often out before its fees are confirmed.
    if fees and bursaries and fees == bursaries:
        return reason("money_year_differs", money_year=fees, start_year=wanted)
    if fees:
        return reason("money_year_differs_fees", money_year=fees, start_year=wanted)
    if bursaries:
        return reason("money_year_differs_bursaries", money_year=bursaries, start_year=wanted)
    return None
