"""Comparing routes near a place: a form's answers in, the impartial shortlist out as plain sections.

The same shortlist the chat gives (bot/shortlist), for a person who has said only where they live, a
subject and an age group. It is channel-free: the web channel turns a Comparison into a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.content import Content
from bot.knowledge.model import Phase
from bot.knowledge.values import message
from bot.shortlist.eligibility import Reason
from bot.shortlist.geo import Place
from bot.shortlist.profile import Profile
from bot.shortlist.rank import ProviderFit, RouteFit, build_shortlist, explain_method_keys
from handlers.shortlist import HOW_EXTRA

__all__ = [
    "PHASES",
    "CompareRequest",
    "Comparison",
    "FormProblem",
    "ProviderLine",
    "RouteLine",
    "compare_routes",
]

PHASES = (Phase.PRIMARY, Phase.SECONDARY)


@dataclass(frozen=True, slots=True)
class CompareRequest:
    """What a person typed or chose in the compare form; every field is as given, unchecked."""

    place: str
    subject: str
    phase: str
    miles: str


@dataclass(frozen=True, slots=True)
class FormProblem:
    """Something to fix in the form: the field, the message key saying what, and its placeholders."""

    field: str
    key: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RouteLine:
    """One route as shown: its name, why it fits or not, and the money on it."""

    name: str
    reasons: tuple[str, ...]
    money: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProviderLine:
    """One provider as shown: where it is, how far, and what it offers the person."""

    provider_id: str
    title: str
    distance: str
    offers: str
    website: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """The result of the form: problems to fix, or the shortlist."""

    problems: tuple[FormProblem, ...] = ()
    notices: tuple[str, ...] = ()
    place: str = ""
    miles: int = 0
    routes: tuple[RouteLine, ...] = ()
    closed: tuple[RouteLine, ...] = ()
    providers: tuple[ProviderLine, ...] = ()
    more_providers: int = 0
    notes: tuple[str, ...] = ()
    method: tuple[str, ...] = ()


def compare_routes(
    content: Content, request: CompareRequest, seed: str, defaults: tuple[int, int, int], today: date
) -> Comparison:
    """Checks the form and, once complete, builds the shortlist; defaults: (miles, max miles, shown)."""
    default_miles, max_miles, max_providers = defaults
    problems: list[FormProblem] = []
    notices: list[str] = []
    place = _place(content, request.place, problems, notices)
    subject = _subject(content, request.subject, problems)
    phase = _phase(request.phase, problems)
    miles = _miles(request.miles, default_miles, max_miles, problems)
    if problems or place is None or phase is None:
        return Comparison(problems=tuple(problems))
    profile = Profile(subjects=subject, phase=phase, place=place, travel_miles=float(miles))
    shortlist = build_shortlist(content.knowledge, profile, seed, max_providers, today)
    knowledge = content.knowledge
    return Comparison(
        notices=tuple(notices),
        place=place.name,
        miles=miles,
        routes=tuple(_route(content, fit) for fit in shortlist.eligible_routes),
        closed=tuple(_route(content, fit) for fit in shortlist.routes if not fit.eligible),
        providers=tuple(_provider(content, fit) for fit in shortlist.providers),
        more_providers=shortlist.more_providers,
        notes=tuple(_say(content, note) for note in shortlist.notes),
        method=tuple(message(knowledge, key).strip() for key in (*explain_method_keys(), HOW_EXTRA)),
    )


def _place(content: Content, typed: str, problems: list[FormProblem], notices: list[str]) -> Place | None:
    text = typed.strip()
    if not text:
        problems.append(FormProblem("place", "web.compare_place_missing"))
        return None
    places = content.gazetteer.resolve(text)
    shown = text if len(text) <= 40 else text[:39] + "…"
    if not places:
        problems.append(FormProblem("place", "web.compare_place_unknown", (("typed", shown),)))
        return None
    if len(places) > 1:
        label = f"{places[0].name}, {places[0].county}" if places[0].county else places[0].name
        notices.append(message(content.knowledge, "web.compare_place_choose", typed=shown, place=label))
    return places[0]


def _subject(content: Content, typed: str, problems: list[FormProblem]) -> tuple[str, ...]:
    text = typed.strip()
    if not text:
        return ()
    subjects = content.knowledge.subjects
    if text in subjects:
        return (text,)
    found = content.matcher.finder.find(text).subjects
    if found:
        return tuple(found)
    shown = text if len(text) <= 40 else text[:39] + "…"
    problems.append(FormProblem("subject", "web.compare_subject_unknown", (("typed", shown),)))
    return ()


def _phase(typed: str, problems: list[FormProblem]) -> Phase | None:
    for phase in PHASES:
        if typed == phase.value:
            return phase
    problems.append(FormProblem("phase", "web.compare_phase_missing"))
    return None


def _miles(typed: str, default: int, limit: int, problems: list[FormProblem]) -> int:
    text = typed.strip()
    if not text:
        return default
    if text.isdigit() and 1 <= int(text) <= limit:
        return int(text)
    problems.append(FormProblem("miles", "web.compare_miles_bad", (("max", str(limit)),)))
    return default


def _say(content: Content, line: Reason) -> str:
    return message(content.knowledge, line.key, **line.values(content.knowledge))


def _route(content: Content, fit: RouteFit) -> RouteLine:
    route = content.knowledge.routes.get(fit.route_id)
    return RouteLine(
        name=route.name if route is not None else fit.route_id,
        reasons=tuple(_say(content, reason) for reason in fit.reasons),
        money=tuple(_say(content, line) for line in fit.money),
    )


def _provider(content: Content, fit: ProviderFit) -> ProviderLine:
    knowledge = content.knowledge
    provider = knowledge.providers[fit.provider_id]
    kind_key = f"preferences.list_kind_{provider.kind}"
    kind = message(knowledge, kind_key) if kind_key in knowledge.messages else provider.kind.replace("_", " ")
    joiner = message(knowledge, "preferences.list_and")
    routes = joiner.join(knowledge.routes[r].name if r in knowledge.routes else r for r in fit.routes)
    subjects = joiner.join(knowledge.subjects[s].name if s in knowledge.subjects else s for s in fit.subjects)
    offers = (
        message(knowledge, "preferences.list_offers_subjects", routes=routes, subjects=subjects)
        if subjects
        else message(knowledge, "preferences.list_offers", routes=routes)
    )
    title = message(knowledge, "preferences.list_provider", name=provider.name, town=provider.town, kind=kind)
    return ProviderLine(
        fit.provider_id, title, _distance(content, fit.distance_miles), offers, provider.website
    )


def _distance(content: Content, miles: float | None) -> str:
    knowledge = content.knowledge
    if miles is None:
        return message(knowledge, "preferences.list_distance_remote")
    rounded = round(miles)
    if rounded < 1:
        return message(knowledge, "preferences.list_distance_under_one")
    if rounded == 1:
        return message(knowledge, "preferences.list_distance_one")
    return message(knowledge, "preferences.list_distance", miles=rounded)
