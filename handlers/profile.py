"""Keeping what a person tells us about themselves in passing, and saying so in one short line."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.core.journey import Context, Outcome
from bot.core.routing import make_payload
from bot.core.session import Session
from bot.core.types import Button, Status
from bot.knowledge.model import Phase
from bot.shortlist.geo import Place
from bot.shortlist.money import start_year
from bot.shortlist.profile import Profile

__all__ = [
    "EXTRA_FACTS",
    "Noted",
    "describe",
    "forget_fact",
    "keep_pending",
    "nation_note",
    "note_facts",
    "place_details",
    "profile_line",
    "with_note",
]

PENDING = "pending_facts"  # session key for facts said about someone else, kept only when confirmed
NATION_NAMES = {
    "England": "england",
    "Wales": "wales",
    "Scotland": "scotland",
    "Northern Ireland": "northern_ireland",
}
LONDON = ("London", "Greater London")
DEGREE_TOPICS = frozenset({"entry_degree_class"})
PLACE_TOPICS = frozenset({"location_region"})
# Facts the shortlist questions do not ask for; /profile lists them, each with a button to forget it.
EXTRA_FACTS = ("degree_subject", "age", "current_job", "career_changer", "overseas_qualification", "has_qts")


@dataclass(frozen=True, slots=True)
class Noted:
    """The session with the new facts kept, and the line (and buttons) that say so."""

    session: Session
    found: Profile
    line: str | None = None
    buttons: tuple[Button, ...] = ()


def profile_of(session: Session) -> Profile:
    """Returns the profile kept in the session."""
    return Profile.from_dict(session.data.get("profile"))


def note_facts(ctx: Context, text: str, session: Session, step: str | None = None) -> Noted:
    """Keeps the facts a message states about the person; facts about someone else wait for a yes."""
    today = ctx.clock.now().date()
    facts = ctx.content.facts.find(text, today, bare_subjects=step == "subject", bare_places=step == "place")
    mine = place_details(ctx, facts.mine)
    lines: list[str] = []
    buttons: tuple[Button, ...] = ()
    if mine.to_dict():
        before = profile_of(session)
        session = session.with_data(profile=_consistent(before.merged(mine), mine).to_dict())
        lines.append(ctx.say("profile.noted", facts=describe(ctx, mine)))
        moved = (
            nation_note(ctx, mine) if (mine.nation, mine.abroad) != (before.nation, before.abroad) else None
        )
        if moved is not None:  # first heard they live outside England: say what that means for them
            lines.append(moved)
    theirs = place_details(ctx, facts.someone_elses)
    if theirs.to_dict():
        session = session.with_data(**{PENDING: theirs.to_dict()})
        lines.append(ctx.say("profile.someone_else", facts=describe(ctx, theirs)))
        buttons = (
            Button(ctx.say("profile.button_mine"), make_payload("pref", "mine")),
            Button(ctx.say("profile.button_not_mine"), make_payload("pref", "notmine")),
        )
    return Noted(session, mine, "\n".join(lines) or None, buttons)


def with_note(outcome: Outcome, noted: Noted) -> Outcome:
    """Adds the "Noted:" line and any confirm buttons to the last reply of an outcome."""
    if noted.line is None or not outcome.replies:
        return outcome
    *first, last = outcome.replies
    text = f"{last.text}\n\n{noted.line}"
    return replace(outcome, replies=(*first, replace(last, text=text, buttons=noted.buttons + last.buttons)))


def keep_pending(ctx: Context, session: Session, mine: bool) -> Outcome:
    """Keeps (or drops) the facts said about someone else once the person says whose they are."""
    pending = Profile.from_dict(session.data.get(PENDING))
    cleared = session.with_data(**{PENDING: None})
    if not pending.to_dict():
        return Outcome((ctx.reply("profile.nothing_pending", Status.INFO),), cleared)
    if not mine:
        return Outcome((ctx.reply("profile.not_kept", Status.INFO),), cleared)
    kept = _consistent(profile_of(session).merged(pending), pending)
    reply = ctx.reply("profile.kept", Status.CONFIRMED, facts=describe(ctx, pending))
    return Outcome((reply,), cleared.with_data(profile=kept.to_dict()))


def forget_fact(ctx: Context, session: Session, field: str) -> Session:
    """Returns the session without one of the extra facts."""
    if field not in EXTRA_FACTS:
        return session
    data = profile_of(session).to_dict()
    data.pop(field, None)
    return session.with_data(profile=data)


def _consistent(kept: Profile, newer: Profile) -> Profile:
    """A new place replaces a place abroad, and a new place abroad replaces a place, never both."""
    if newer.place is not None:
        return replace(kept, abroad=None)
    if newer.abroad is not None:
        return replace(kept, place=None, pay_area=None)
    return kept


def place_details(ctx: Context, profile: Profile) -> Profile:
    """Adds what a place says about the person: the nation they live in and the teacher pay area."""
    place = profile.place
    if place is None:
        return profile
    nation = NATION_NAMES.get(place.country)
    return replace(
        profile,
        nation=nation,
        lives_in_england=None if nation is None else nation == "england",
        pay_area=pay_area(ctx, place) if nation == "england" else None,
    )


def profile_line(ctx: Context, topic: str, session: Session) -> str | None:
    """Returns a first line for an answer from what the person told us (their degree class, their place)."""
    profile = profile_of(session)
    if topic in DEGREE_TOPICS and profile.degree is not None and profile.degree != "other":
        return ctx.say(f"profile.for_degree_{profile.degree}")
    if topic in PLACE_TOPICS and profile.place is not None:
        return ctx.say("profile.near_place", place=profile.place.name)
    return None


def nation_note(ctx: Context, profile: Profile) -> str | None:
    """Returns the advice for someone living in Wales, Scotland, Northern Ireland or abroad, or None."""
    if profile.nation in ("wales", "scotland", "northern_ireland"):
        return ctx.say(f"nations.{profile.nation}").strip()
    if profile.nation == "abroad":
        return ctx.say("nations.abroad", place=profile.abroad or "").strip()
    return None


def pay_area(ctx: Context, place: Place) -> str | None:
    """Returns the teacher pay area of a place in England, from the districts listed in the values."""
    facts = ctx.content.knowledge.facts
    listed = {
        area: {name.strip() for name in str(fact.value).split("|")}
        for area in ("inner_london", "outer_london", "london_fringe", "fringe_counties")
        if (fact := facts.get(f"pay_areas.{area}")) is not None
    }
    if place.kind in ("region", "county") and place.name in LONDON:
        return "london"
    if place.county in listed.get("fringe_counties", ()) or place.name in listed.get("fringe_counties", ()):
        return "london_fringe"
    if place.kind in ("region", "county"):
        return None if place.region in LONDON or place.region == "South East" else "england"
    district = ctx.content.gazetteer.district_of(place)
    return next((area for area, names in listed.items() if district in names), "england")


def describe(ctx: Context, profile: Profile) -> str:
    """Returns the facts of a profile as one short list, such as "biology degree (2:2), Leeds"."""
    parts = [part for part in _parts(ctx, profile) if part]
    return ctx.say("profile.separator").join(parts)


def _parts(ctx: Context, profile: Profile) -> list[str]:
    knowledge = ctx.content.knowledge
    say = ctx.say
    parts: list[str] = []
    if profile.subjects:
        names = [
            knowledge.subjects[s].name for s in profile.subjects if s in knowledge.subjects and s != "primary"
        ]
        if names:
            parts.append(say("profile.fact_subjects", value=say("profile.gcse_and").join(names)))
    if profile.phase is not None:
        parts.append(say(f"profile.fact_phase_{Phase(profile.phase).value}"))
    parts.append(_degree(ctx, profile))
    if profile.place is not None:
        parts.append(say("profile.fact_place", value=profile.place.name))
    if profile.abroad is not None:
        parts.append(say("profile.fact_abroad", value=profile.abroad))
    parts.extend(_choices(ctx, profile))
    parts.extend(_gcses(ctx, profile))
    parts.extend(_person(ctx, profile))
    return parts


def _degree(ctx: Context, profile: Profile) -> str:
    subjects = ctx.content.knowledge.subjects
    subject = profile.degree_subject
    name = subjects[subject].name if subject is not None and subject in subjects else subject
    degree = profile.degree
    if degree in ("first", "upper_second", "lower_second", "third"):
        label = ctx.say(f"preferences.degree_{degree}")
        if name:
            return ctx.say("profile.fact_degree_class_subject", subject=name, **{"class": label})
        return ctx.say("profile.fact_degree_class", **{"class": label})
    if degree == "studying":
        return (
            ctx.say("profile.fact_degree_studying_subject", subject=name)
            if name
            else ctx.say("profile.fact_degree_studying")
        )
    if degree in ("none", "other"):
        return ctx.say(f"profile.fact_degree_{degree}")
    return ctx.say("profile.fact_degree_subject", subject=name) if name else ""


def _choices(ctx: Context, profile: Profile) -> list[str]:
    parts: list[str] = []
    if profile.mode in ("full_time", "part_time"):
        parts.append(ctx.say(f"profile.fact_mode_{profile.mode}"))
    if profile.needs_salary is not None:
        parts.append(ctx.say("profile.fact_salary_yes" if profile.needs_salary else "profile.fact_salary_no"))
    if profile.start in ("next_september", "later"):
        parts.append(ctx.say(f"profile.fact_start_{profile.start}", year=start_year(ctx.clock.now().date())))
    return parts


def _gcses(ctx: Context, profile: Profile) -> list[str]:
    answers: dict[str, Any] = {
        "english": profile.gcse_english,
        "maths": profile.gcse_maths,
        "science": profile.gcse_science,
    }
    parts: list[str] = []
    for status in ("yes", "no", "pending"):
        named = [name for name, answer in answers.items() if answer == status]
        if not named:
            continue
        if len(named) == len(answers):
            subjects = ctx.say("profile.fact_gcse_all")
        else:
            subjects = ctx.say("profile.gcse_and").join(ctx.say(f"profile.gcse_{n}") for n in named)
        parts.append(ctx.say(f"profile.fact_gcse_{status}", subjects=subjects))
    return parts


def _person(ctx: Context, profile: Profile) -> list[str]:
    parts: list[str] = []
    if profile.current_job:
        parts.append(ctx.say("profile.fact_job", value=profile.current_job))
    elif profile.career_changer:
        parts.append(ctx.say("profile.fact_career_changer"))
    if profile.age is not None:
        parts.append(ctx.say("profile.fact_age", value=profile.age))
    if profile.needs_visa is not None:
        parts.append(ctx.say("profile.fact_visa_yes" if profile.needs_visa else "profile.fact_visa_no"))
    if profile.overseas_qualification:
        parts.append(ctx.say("profile.fact_overseas"))
    if profile.has_qts is not None:
        parts.append(ctx.say("profile.fact_qts_yes" if profile.has_qts else "profile.fact_qts_no"))
    return parts


def extra_lines(ctx: Context, profile: Profile) -> list[tuple[str, str]]:
    """Returns (field, how it reads) for each extra fact kept, for /profile."""
    out: list[tuple[str, str]] = []
    for field in EXTRA_FACTS:
        value = getattr(profile, field)
        if value is None:
            continue
        alone = Profile.from_dict({field: value})
        text = (
            describe(ctx, alone) if field != "degree_subject" else _degree(ctx, replace(alone, degree=None))
        )
        if text:
            out.append((field, text))
    return out
