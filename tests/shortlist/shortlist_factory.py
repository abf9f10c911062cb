"""Small, hand-made knowledge for the shortlist tests, independent of the real content files."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from bot.knowledge.model import (
    DigestSettings,
    Fact,
    Funding,
    Knowledge,
    Origin,
    Phase,
    Provider,
    Route,
    StudyMode,
    Subject,
)

ORIGIN = Origin("test.yaml", 1)
BOTH_PHASES = (Phase.PRIMARY, Phase.SECONDARY)
BOTH_MODES = (StudyMode.FULL_TIME, StudyMode.PART_TIME)
SOURCE = "https://example.org/source"


def route(route_id: str, **changes: Any) -> Route:
    """A fee-paying postgraduate route open to graduates living in England, unless changed."""
    base = Route(
        id=route_id,
        name=route_id.replace("-", " ").title(),
        aliases=(),
        topic="routes_overview",
        summary="s",
        suits="s",
        entry="e",
        length="l",
        money="m",
        award="a",
        apply="a",
        funding=Funding.FEE,
        needs_degree=True,
        phases=BOTH_PHASES,
        modes=BOTH_MODES,
        bursary_eligible=True,
        needs_teaching_experience=False,
        lives_in="england",
        visa="student",
        sources=(SOURCE,),
        reviewed=date(2026, 11, 1),
        origin=ORIGIN,
    )
    return replace(base, **changes)


ROUTES: tuple[Route, ...] = (
    route("pgce-university"),
    route("scitt", modes=(StudyMode.FULL_TIME,)),
    route("school-direct-salaried", funding=Funding.SALARY, bursary_eligible=False, visa="skilled_worker"),
    route("postgraduate-apprenticeship", funding=Funding.APPRENTICESHIP, bursary_eligible=False, visa="none"),
    route("teacher-degree-apprenticeship", funding=Funding.APPRENTICESHIP, needs_degree=False,
          bursary_eligible=False, visa="none"),
    route("undergraduate-qts", needs_degree=False, bursary_eligible=False),
    route("assessment-only", needs_teaching_experience=True, bursary_eligible=False, visa="none"),
    route("iqts", lives_in="outside_england", bursary_eligible=False, visa="none"),
    route("early-years-itt", phases=(Phase.EARLY_YEARS,), bursary_eligible=False),
)  # fmt: skip


def provider(provider_id: str, lat: float, lon: float, **changes: Any) -> Provider:
    """A provider of every subject, both phases and the PGCE route, unless changed."""
    base = Provider(
        id=provider_id,
        name=provider_id,
        kind="scitt",
        accreditation="accredited",
        region="South East",
        town="Town",
        lat=lat,
        lon=lon,
        phases=BOTH_PHASES,
        subjects=("all",),
        routes=("pgce-university",),
        website="https://example.org/",
        email=None,
        phone=None,
        digest=DigestSettings(("a@provider.example",), None, "weekly", "monday", "09:00", "full"),
        notes="",
        unverified=None,
        sources=(SOURCE,),
        reviewed=date(2026, 11, 1),
        origin=ORIGIN,
    )
    return replace(base, **changes)


def _fact(path: str, value: str | int | float | date, year: str, unit: str | None = "gbp") -> Fact:
    return Fact(path, value, unit, SOURCE, year, None, ORIGIN)


def facts() -> dict[str, Fact]:
    """A few values, with the "current" aliases the loader adds."""
    rows: list[tuple[str, str | int | float | date, str, str | None]] = [
        ("bursaries.2026-27.physics.bursary", 29000, "2026/27", "gbp"),
        ("bursaries.2026-27.physics.scholarship", 31000, "2026/27", "gbp"),
        ("bursaries.2026-27.physics.scholarship_body", "Institute of Physics", "2026/27", None),
        ("bursaries.2026-27.geography.bursary", 5000, "2026/27", "gbp"),
        ("fees.2026-27.full_time_max", 9790, "2026/27", "gbp"),
        ("fees.2026-27.part_time_max", 7335, "2026/27", "gbp"),
        ("fees.assessment_only.low", 1500, "ongoing", "gbp"),
        ("fees.assessment_only.high", 4000, "ongoing", "gbp"),
        ("fees.undergraduate.typical", 9535, "2025/26", "gbp"),
        ("fees.non_uk.average", 15000, "ongoing", "gbp"),
        ("fees.non_uk.max_full_time", 36000, "ongoing", "gbp"),
        ("pay.2025-26.unqualified.england.min", 22601, "2025/26", "gbp"),
        ("pay.2025-26.unqualified.england.max", 35259, "2025/26", "gbp"),
        ("pay.2025-26.academic_year", "2025/26", "2025/26", None),
        ("pay.2025-26.unqualified.london_fringe.min", 24066, "2025/26", "gbp"),
        ("pay.2025-26.unqualified.london_fringe.max", 36718, "2025/26", "gbp"),
        ("pay.2025-26.unqualified.outer_london.min", 26789, "2025/26", "gbp"),
        ("pay.2025-26.unqualified.outer_london.max", 39450, "2025/26", "gbp"),
        ("pay.2025-26.unqualified.inner_london.min", 28343, "2025/26", "gbp"),
        ("pay.2025-26.unqualified.inner_london.max", 40994, "2025/26", "gbp"),
        ("cycle.2027-28.apply_opens", date(2026, 10, 6), "2027/28", None),
        ("cycle.2027-28.candidate_deadline", date(2027, 8, 20), "2027/28", None),
    ]
    out = {path: _fact(path, value, year, unit) for path, value, year, unit in rows}
    for prefix in ("bursaries.2026-27.", "fees.2026-27.", "pay.2025-26."):
        namespace = prefix.split(".")[0]
        for path, fact in list(out.items()):
            if path.startswith(prefix):
                out[f"{namespace}.current.{path.removeprefix(prefix)}"] = fact
    return out


SUBJECTS: tuple[Subject, ...] = (
    Subject("physics", "Physics", (), (Phase.SECONDARY,), ORIGIN),
    Subject("geography", "Geography", (), (Phase.SECONDARY,), ORIGIN),
    Subject("history", "History", (), (Phase.SECONDARY,), ORIGIN),
    Subject("primary", "Primary", (), (Phase.PRIMARY,), ORIGIN),
)


def knowledge(
    providers: tuple[Provider, ...] = (),
    routes: tuple[Route, ...] = ROUTES,
    messages: dict[str, str] | None = None,
) -> Knowledge:
    """A Knowledge holding the given providers and routes, the test facts and subjects."""
    return Knowledge(
        facts=facts(),
        subjects={s.id: s for s in SUBJECTS},
        routes={r.id: r for r in routes},
        providers={p.id: p for p in providers},
        answers={},
        synonyms={},
        stop_words=frozenset(),
        messages=messages or {},
    )
