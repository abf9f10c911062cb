"""Building the impartial shortlist: routes by fit, then providers by fit and distance, fairly shuffled.

Providers that fit a person equally well and sit in the same distance band are ordered by a
shuffle seeded with the person's seed: the same person always sees the same order, and over many
people each such provider comes first equally often. Nothing about a provider other than what it
offers and where it is (never its name, kind, accreditation or place in the file) moves it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.knowledge.model import Knowledge, Provider, Route
from bot.shortlist.eligibility import UK_NATIONS, Reason, judge_route, reason
from bot.shortlist.geo import haversine_miles
from bot.shortlist.money import route_money, start_notes
from bot.shortlist.profile import Profile

__all__ = [
    "DISTANCE_BANDS",
    "HOW_KEYS",
    "ProviderFit",
    "RouteFit",
    "Shortlist",
    "build_shortlist",
    "distance_band",
    "explain_method_keys",
]

# Upper edges, in miles, of the distance bands; the last band is everything further.
DISTANCE_BANDS: tuple[float, ...] = (5, 10, 20, 35, 60)
# Where a provider goes when distance does not apply (no place given, or training from abroad).
ANYWHERE_BAND = len(DISTANCE_BANDS) + 1
HOW_KEYS: tuple[str, ...] = ("shortlist.how",)


@dataclass(frozen=True, slots=True)
class RouteFit:
    """How one route fits a person: open to them or not, a fit score, reasons and money lines."""

    route_id: str
    eligible: bool
    score: int
    reasons: tuple[Reason, ...]
    money: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class ProviderFit:
    """A provider that offers a fitting route, with how far away it is and what it offers the person."""

    provider_id: str
    score: int
    distance_miles: float | None
    band: int
    routes: tuple[str, ...]  # the person's eligible routes it offers, best first
    subjects: tuple[str, ...]  # the person's subjects it trains for


@dataclass(frozen=True, slots=True)
class Shortlist:
    """Routes (open ones first, best fit first) and the nearest fitting providers."""

    routes: tuple[RouteFit, ...]
    providers: tuple[ProviderFit, ...]
    more_providers: int  # fitting providers left out to keep the list short
    notes: tuple[Reason, ...]  # about timing and the year of the figures

    @property
    def eligible_routes(self) -> tuple[RouteFit, ...]:
        """The routes open to the person, best fit first."""
        return tuple(fit for fit in self.routes if fit.eligible)


def explain_method_keys() -> tuple[str, ...]:
    """Returns the message keys that explain, in plain English, how the shortlist is made."""
    return HOW_KEYS


def build_shortlist(
    knowledge: Knowledge, profile: Profile, seed: str, max_providers: int, today: date
) -> Shortlist:
    """Returns the person's shortlist of routes and providers, ordered only by their own criteria."""
    routes = rank_routes(knowledge, profile, seed)
    fitting = [
        fit
        for provider in knowledge.providers.values()
        if (fit := provider_fit(knowledge, provider, profile, routes))
    ]
    ordered = sorted(fitting, key=lambda fit: (-fit.score, fit.band, shuffle_key(seed, fit.provider_id)))
    shown = ordered[: max(0, max_providers)]
    notes = (*profile_notes(profile), *start_notes(knowledge, profile, today))
    return Shortlist(tuple(routes), tuple(shown), len(ordered) - len(shown), notes)


def profile_notes(profile: Profile) -> tuple[Reason, ...]:
    """Notes that come first because of who the person is: already qualified, or living outside England."""
    notes: list[Reason] = []
    if profile.has_qts:
        notes.append(reason("already_qts"))
    if profile.nation in UK_NATIONS:
        notes.append(Reason(f"nations.{profile.nation}"))
    elif profile.nation == "abroad":
        notes.append(Reason("nations.abroad", (("place", profile.abroad or ""),)))
    return tuple(notes)


def rank_routes(knowledge: Knowledge, profile: Profile, seed: str) -> list[RouteFit]:
    """Returns every route judged for the person: open routes first, then by fit score."""
    fits = [route_fit(knowledge, route, profile) for route in knowledge.routes.values()]
    return sorted(fits, key=lambda fit: (not fit.eligible, -fit.score, shuffle_key(seed, fit.route_id)))


def route_fit(knowledge: Knowledge, route: Route, profile: Profile) -> RouteFit:
    """Returns how one route fits the person."""
    eligible, score, reasons = judge_route(route, profile)
    return RouteFit(route.id, eligible, score, reasons, route_money(knowledge, route, profile))


def provider_fit(
    knowledge: Knowledge, provider: Provider, profile: Profile, routes: Iterable[RouteFit]
) -> ProviderFit | None:
    """Returns the provider's fit when it offers an open route, the subject and phase within reach."""
    offered = [fit for fit in routes if fit.eligible and fit.route_id in provider.routes]
    subjects = offered_subjects(knowledge, provider, profile)
    if not offered or subjects is None or not offers_phase(provider, profile):
        return None
    # iQTS is trained where the person lives, so distance does not apply; unless they live in the UK.
    remote = profile.nation not in UK_NATIONS and all(
        _trains_from_abroad(knowledge, f.route_id) for f in offered
    )
    distance = None if remote else provider_distance(provider, profile)
    if distance is not None and profile.travel_miles is not None and distance > profile.travel_miles:
        return None
    score = max(fit.score for fit in offered)
    route_ids = tuple(fit.route_id for fit in offered)
    return ProviderFit(provider.id, score, distance, distance_band(distance), route_ids, subjects)


def offers_phase(provider: Provider, profile: Profile) -> bool:
    """Whether the provider trains for the person's age group (any, if they have not said)."""
    return profile.phase is None or profile.phase in provider.phases


def offered_subjects(knowledge: Knowledge, provider: Provider, profile: Profile) -> tuple[str, ...] | None:
    """Returns which of the person's subjects the provider trains for; None when it offers none of them."""
    if not profile.subjects:
        return ()
    found = tuple(s for s in profile.subjects if _offers_subject(knowledge, provider, s))
    return found or None


def _offers_subject(knowledge: Knowledge, provider: Provider, subject_id: str) -> bool:
    if subject_id in provider.subjects:
        return True
    if "all" not in provider.subjects:
        return False
    subject = knowledge.subjects.get(subject_id)
    return subject is None or any(phase in provider.phases for phase in subject.phases)


def _trains_from_abroad(knowledge: Knowledge, route_id: str) -> bool:
    route = knowledge.routes.get(route_id)
    return route is not None and route.lives_in == "outside_england"


def provider_distance(provider: Provider, profile: Profile) -> float | None:
    """Returns the miles from the person's place to the provider, or None without a place."""
    if profile.place is None:
        return None
    return haversine_miles(profile.place.lat, profile.place.lon, provider.lat, provider.lon)


def distance_band(miles: float | None) -> int:
    """Returns the distance band (0 nearest) that a distance falls into."""
    if miles is None:
        return ANYWHERE_BAND
    return next((i for i, edge in enumerate(DISTANCE_BANDS) if miles <= edge), len(DISTANCE_BANDS))


def shuffle_key(seed: str, item_id: str) -> bytes:
    """Returns a sort key that orders items in a random-looking way fixed by the person's seed."""
    return hashlib.sha256(f"{seed}\x1f{item_id}".encode()).digest()
