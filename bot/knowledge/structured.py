"""Answers built from the values for one person's subject, route or provider."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.knowledge.model import Knowledge, Provider, Route
from bot.knowledge.values import message, render

MAX_SUBJECTS = 3


def academic_year_of(day: date) -> str:
    """Returns the academic year a date falls in, as "2026/27" (years start on 1 September)."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def bursary_answer(knowledge: Knowledge, subjects: Sequence[str], today: date) -> str | None:
    """Says the bursary and scholarship for each subject in the current funding year, or None."""
    wanted = [s for s in dict.fromkeys(subjects) if s in knowledge.subjects][:MAX_SUBJECTS]
    if not wanted:
        return None
    year = _text(knowledge, "bursaries.current.academic_year")
    lines = [_bursary_line(knowledge, subject, year) for subject in wanted]
    lines.append(message(knowledge, "ask.bursary_rules"))
    recruiting = academic_year_of(date(today.year + 1, 9, 1) if today.month >= 9 else date(today.year, 9, 1))
    if year and year < recruiting:
        lines.append(message(knowledge, "ask.bursary_next_year", year=year, next_year=recruiting))
    return "\n\n".join(line for line in lines if line)


def _bursary_line(knowledge: Knowledge, subject: str, year: str) -> str:
    name = knowledge.subjects[subject].name
    base = f"bursaries.current.{subject}"
    if f"{base}.bursary" not in knowledge.facts:
        return message(knowledge, "ask.no_bursary", subject=name, year=year)
    bursary = render(knowledge, "{" + base + ".bursary}")
    if f"{base}.scholarship" in knowledge.facts:
        scholarship = render(knowledge, "{" + base + ".scholarship}")
        body = _text(knowledge, f"{base}.scholarship_body") or ""
        return message(
            knowledge, "ask.bursary_and_scholarship",
            subject=name, year=year, bursary=bursary, scholarship=scholarship, body=body,
        )  # fmt: skip
    return message(knowledge, "ask.bursary_only", subject=name, year=year, bursary=bursary)


def route_answer(knowledge: Knowledge, route: Route) -> str:
    """Describes one route: what it is, who it suits, entry, length, money, award and how to apply."""
    return message(
        knowledge, "ask.route_details",
        name=route.name, summary=render(knowledge, route.summary), suits=render(knowledge, route.suits),
        entry=render(knowledge, route.entry), length=render(knowledge, route.length),
        money=render(knowledge, route.money), award=render(knowledge, route.award),
        apply=render(knowledge, route.apply),
    )  # fmt: skip


def provider_answer(knowledge: Knowledge, provider: Provider) -> str:
    """Describes one provider from its facts, without ranking it against others."""
    routes = ", ".join(knowledge.routes[r].name for r in provider.routes if r in knowledge.routes)
    phases = ", ".join(message(knowledge, f"ask.phase_{p.value}") for p in provider.phases)
    text = message(
        knowledge, "ask.provider_details",
        name=provider.name, kind=message(knowledge, f"ask.kind_{provider.kind}"), town=provider.town,
        region=provider.region, phases=phases, routes=routes or "-", website=provider.website,
        notes=provider.notes,
    )  # fmt: skip
    if provider.unverified:
        text += "\n\n" + message(knowledge, "ask.provider_unverified", reason=provider.unverified)
    return text


def _text(knowledge: Knowledge, path: str) -> str:
    fact = knowledge.facts.get(path)
    return str(fact.value) if fact is not None else ""
