"""Asking what a person wants (subject, age group, place, degree, money...) to build their shortlist."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from bot.core.journey import Context, Outcome
from bot.core.routing import make_payload
from bot.core.session import Session
from bot.core.types import Button, Reply, Status
from bot.knowledge.model import Phase
from bot.matching.decide import Match
from bot.matching.normalise import words
from bot.shortlist.geo import Place
from bot.shortlist.money import start_year
from bot.shortlist.profile import DEGREES, MODES, STARTS, Profile
from handlers.ask import answer_text
from handlers.profile import (
    describe,
    extra_lines,
    forget_fact,
    keep_pending,
    nation_note,
    note_facts,
    place_details,
    with_note,
)
from handlers.shortlist import show_shortlist
from handlers.smalltalk import small_talk_kind, small_talk_reply

__all__ = ["PreferencesJourney", "Step"]

NAME = "pref"
MAX_PLACES = 6  # more look-alike places than this would not fit as buttons
MAX_SUGGESTIONS = 4
SUGGEST_SCORE = 75  # how close (0 to 100) a typed word must be to a subject name to be offered
MIN_QUESTION_WORDS = 3
# Small talk that is never an answer here; "no thanks" or "ok" may be one, so those are read as answers.
ASIDES = ("person", "bot", "complaint", "capabilities")
_NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?")


class Step(StrEnum):
    """Where a person is in the questions; stored as session.step."""

    SUBJECT = "subject"
    PHASE = "phase"
    PLACE = "place"
    PLACE_CHOICE = "place_choice"
    TRAVEL = "travel"
    DEGREE = "degree"
    GCSE = "gcse"
    GCSE_WHICH = "gcse_which"
    SALARY = "salary"
    MODE = "mode"
    START = "start"
    VISA = "visa"
    SUMMARY = "summary"


ORDER: tuple[Step, ...] = (
    Step.SUBJECT,
    Step.PHASE,
    Step.PLACE,
    Step.TRAVEL,
    Step.DEGREE,
    Step.GCSE,
    Step.SALARY,
    Step.MODE,
    Step.START,
    Step.VISA,
)
# A follow-up question belongs to the question it follows: back, skip and the summary treat it so.
PARENT = {Step.PLACE_CHOICE: Step.PLACE, Step.GCSE_WHICH: Step.GCSE}
OPTIONS: dict[Step, tuple[str, ...]] = {
    Step.PHASE: ("primary", "secondary", "early_years", "further_education"),
    Step.DEGREE: DEGREES[2:] + DEGREES[:2][::-1],  # the classes first, then "studying", then "none"
    Step.GCSE: ("all", "missing", "waiting"),
    Step.GCSE_WHICH: ("english", "maths", "science"),
    Step.SALARY: ("yes", "no", "not_sure"),
    Step.MODE: MODES,
    Step.START: STARTS,
    Step.VISA: ("yes", "no"),
}
GCSE_FIELDS = {"english": "gcse_english", "maths": "gcse_maths", "science": "gcse_science"}
SIGNPOSTED = {
    Phase.FURTHER_EDUCATION: "preferences.signpost_further_education",
    Phase.EARLY_YEARS: "preferences.signpost_early_years",
}
# The degree classes the message reader spots, as the profile names them.
DEGREE_CLASSES = {
    "first": "first",
    "2:1": "upper_second",
    "2:2": "lower_second",
    "third": "third",
    "none": "none",
}
FLAGS = {"yes": True, "no": False}
STEP_NAMES = frozenset(step.value for step in Step)


class PreferencesJourney:
    """Asks one question at a time, keeps the answers in the session, then shows the shortlist."""

    name = NAME
    commands = frozenset({"shortlist", "preferences", "profile"})

    async def on_command(self, ctx: Context, command: str, args: str, session: Session) -> Outcome:
        """Shows the shortlist again, the summary of answers, or starts the questions."""
        finished = bool(_state(session).get("finished"))
        if command == "shortlist" and finished and session.journey != NAME:
            return show_shortlist(ctx, session)
        if command == "shortlist" and _current(session) == Step.SUMMARY:
            return _begin(ctx, session.moved_to(None, None))
        if command in ("preferences", "profile") and _profile(session).to_dict():
            return _summary(ctx, session)
        return _begin(ctx, session)

    async def on_button(self, ctx: Context, action: str, session: Session) -> Outcome:
        """Records a chosen answer, or skips, goes back, changes an answer or starts again."""
        head, _, rest = action.partition(":")
        control = _CONTROLS.get(head)
        if control is not None:
            return control(ctx, session, rest)
        if head == "skip" or head == "back":
            return _skip_or_back(ctx, session, head, rest)
        if head == "edit" and rest in ORDER:
            return _ask(ctx, _at(session, Step(rest)).with_data(pref={**_state(session), "editing": True}))
        if head == "pick":
            return _pick_place(ctx, session, rest)
        if head in STEP_NAMES and head == _current(session):
            return _chosen(ctx, session, Step(head), rest)
        return _reask(ctx, session, "preferences.stale_button")

    async def on_text(self, ctx: Context, text: str, session: Session) -> Outcome:
        """Reads a typed answer to the current question, or answers a question and asks again."""
        step = _current(session)
        if step is None:
            return answer_text(ctx, text, session)
        typed = _typed_control(ctx, text)
        if typed is not None:
            return await self.on_button(ctx, f"{typed}:{step}", session)
        aside = small_talk_kind(ctx, text, ASIDES)
        if aside is not None:
            said = await small_talk_reply(ctx, aside, text)
            asked = _ask(ctx, session, "preferences.back_to_questions")
            return Outcome((said, *asked.replies), asked.session)
        told = None if _looks_like_question(ctx, text) else _told_facts(ctx, text, session, step)
        if told is not None:
            return told
        if _looks_like_question(ctx, text):
            found = _answerable(ctx, text)
            if found is not None:
                return _answer_then_reask(ctx, text, session, found)
        return _TEXT_READERS.get(step, _read_choice)(ctx, text, session, step)


# Moving between questions.


def _state(session: Session) -> dict[str, Any]:
    """The journey's own working data: editing mode, place candidates, GCSE follow-up, answered steps."""
    state = session.data.get("pref")
    return dict(state) if isinstance(state, dict) else {}


def _profile(session: Session) -> Profile:
    return Profile.from_dict(session.data.get("profile"))


def _current(session: Session) -> Step | None:
    step = session.step
    if session.journey != NAME or step not in STEP_NAMES:
        return None
    return Step(step)


def _at(session: Session, step: Step) -> Session:
    return session.moved_to(NAME, str(step))


def _saved(session: Session, profile: Profile, **state: Any) -> Session:
    return session.with_data(profile=profile.to_dict(), pref={**_state(session), **state})


def _begin(ctx: Context, session: Session) -> Outcome:
    """Carries on where the person is, or asks the first question they have not yet answered."""
    if _current(session) is not None:
        return _ask(ctx, session)
    profile = _profile(session)
    unknown = _unknown_steps(profile, ORDER)
    if not unknown:
        return _done(ctx, session)
    if not profile.to_dict():
        intro = ctx.reply("preferences.intro", Status.INFO)
        asked = _ask(ctx, _at(session, unknown[0]).with_data(pref={}))
        return Outcome((intro, *asked.replies), asked.session)
    known = ctx.reply("preferences.intro_known", Status.INFO, facts=describe(ctx, profile))
    asked = _ask(ctx, _at(session, unknown[0]).with_data(pref={}))
    return Outcome((known, *asked.replies), asked.session)


def _known(profile: Profile, step: Step) -> bool:
    """Whether the person has already told us the answer to a question."""
    gcses = (profile.gcse_english, profile.gcse_maths, profile.gcse_science)
    known = {
        Step.SUBJECT: bool(profile.subjects),
        Step.PHASE: profile.phase is not None,
        Step.PLACE: profile.place is not None or profile.abroad is not None,
        Step.TRAVEL: profile.travel_miles is not None or profile.abroad is not None,
        Step.DEGREE: profile.degree is not None,
        Step.GCSE: all(g is not None for g in gcses) or "no" in gcses,
        Step.SALARY: profile.needs_salary is not None,
        Step.MODE: profile.mode is not None,
        Step.START: profile.start is not None,
        Step.VISA: profile.needs_visa is not None,
    }
    return known.get(step, False)


def _unknown_steps(profile: Profile, steps: tuple[Step, ...]) -> list[Step]:
    return [step for step in steps if not _known(profile, step)]


def _restart(ctx: Context, session: Session, _rest: str = "") -> Outcome:
    fresh = session.with_data(profile={}, pref={})
    intro = ctx.reply("preferences.intro", Status.INFO)
    asked = _ask(ctx, _at(fresh, Step.SUBJECT))
    return Outcome((intro, *asked.replies), asked.session)


def _resume(ctx: Context, session: Session, _rest: str = "") -> Outcome:
    return _ask(ctx, session) if _current(session) is not None else _begin(ctx, session)


def _change(ctx: Context, session: Session, _rest: str = "") -> Outcome:
    return _summary(ctx, session)


def _done(ctx: Context, session: Session, _rest: str = "") -> Outcome:
    return show_shortlist(ctx, _saved(session, _profile(session), finished=True, editing=False))


def _begin_button(ctx: Context, session: Session, _rest: str = "") -> Outcome:
    return _begin(ctx, session)


def _mine(ctx: Context, session: Session, _rest: str = "") -> Outcome:
    return _then_carry_on(ctx, keep_pending(ctx, session, mine=True))


def _not_mine(ctx: Context, session: Session, _rest: str = "") -> Outcome:
    return _then_carry_on(ctx, keep_pending(ctx, session, mine=False))


def _then_carry_on(ctx: Context, outcome: Outcome) -> Outcome:
    """After a side step, the person in the middle of the questions is asked the current one again."""
    if _current(outcome.session) is None:
        return outcome
    asked = _ask(ctx, outcome.session)
    return Outcome((*outcome.replies, *asked.replies), asked.session)


def _forget(ctx: Context, session: Session, field: str) -> Outcome:
    forgotten = forget_fact(ctx, session, field)
    return _summary(ctx, forgotten, "profile.forgotten")


_CONTROLS: dict[str, Callable[[Context, Session, str], Outcome]] = {
    "begin": _begin_button,
    "mine": _mine,
    "notmine": _not_mine,
    "forget": _forget,
    "change": _change,
    "resume": _resume,
    "restart": _restart,
    "done": _done,
}


def _next(ctx: Context, session: Session, step: Step) -> Outcome:
    """Moves on after a question is answered or skipped: the next question, the summary or the list."""
    if _state(session).get("editing"):
        return _summary(ctx, session)
    main = PARENT.get(step, step)
    later = _unknown_steps(_profile(session), ORDER[ORDER.index(main) + 1 :])
    if not later:
        return _done(ctx, session)
    return _ask(ctx, _at(session, later[0]))


def _skip_or_back(ctx: Context, session: Session, which: str, step_text: str) -> Outcome:
    step = _current(session)
    if step is None or step_text != step or step == Step.SUMMARY:
        return _reask(ctx, session, "preferences.stale_button")
    main = PARENT.get(step, step)
    if which == "skip":
        answered = [s for s in _state(session).get("answered", []) if s != main]
        return _next(ctx, _saved(session, _cleared(_profile(session), main), answered=answered), main)
    if _state(session).get("editing"):
        return _summary(ctx, session)
    if step in PARENT:
        return _ask(ctx, _at(session, main))
    if main == ORDER[0]:
        return _ask(ctx, session, "preferences.first_question")
    return _ask(ctx, _at(session, ORDER[ORDER.index(main) - 1]))


def _cleared(profile: Profile, step: Step) -> Profile:
    fields: dict[Step, dict[str, Any]] = {
        Step.SUBJECT: {"subjects": ()},
        Step.PHASE: {"phase": None},
        Step.PLACE: {"place": None},
        Step.TRAVEL: {"travel_miles": None},
        Step.DEGREE: {"degree": None},
        Step.GCSE: {"gcse_english": None, "gcse_maths": None, "gcse_science": None},
        Step.SALARY: {"needs_salary": None},
        Step.MODE: {"mode": None},
        Step.START: {"start": None},
        Step.VISA: {"needs_visa": None},
    }
    return replace(profile, **fields.get(step, {}))


def _answered(session: Session, profile: Profile, step: Step, **state: Any) -> Session:
    main = PARENT.get(step, step)
    answered = [s for s in _state(session).get("answered", []) if s != main] + [str(main)]
    return _saved(session, profile, answered=answered, **state)


# Asking.


def _ask(ctx: Context, session: Session, note: str | None = None) -> Outcome:
    """Asks the current question again, with an optional short note first."""
    step = _current(session)
    if step is None:
        return _begin(ctx, session)
    if step == Step.SUMMARY:
        return _summary(ctx, session, note)
    text = _question_text(ctx, session, step)
    if note is not None:
        text = f"{ctx.say(note)}\n\n{text}"
    buttons = _question_buttons(ctx, session, step)
    return Outcome((Reply(text, Status.PROMPT, buttons),), session)


def _reask(ctx: Context, session: Session, note: str) -> Outcome:
    if _current(session) is None:
        begun = _begin(ctx, session)
        first, *rest = begun.replies
        noted = replace(first, text=f"{ctx.say(note)}\n\n{first.text}")
        return Outcome((noted, *rest), begun.session)
    return _ask(ctx, session, note)


def _question_text(ctx: Context, session: Session, step: Step) -> str:
    if step == Step.PLACE_CHOICE:
        candidates = _candidates(session)
        return ctx.say("preferences.ask_place_choice", name=candidates[0].name if candidates else "")
    if step == Step.GCSE_WHICH:
        return ctx.say(f"preferences.ask_gcse_{_state(session).get('gcse', 'missing')}")
    return ctx.say(f"preferences.ask_{step}")


def _question_buttons(ctx: Context, session: Session, step: Step) -> tuple[Button, ...]:
    buttons = [Button(label, make_payload(NAME, step, value)) for value, label in _choices(ctx, step)]
    if step == Step.PLACE_CHOICE:
        buttons = [
            Button(_place_label(ctx, place), make_payload(NAME, "pick", str(i)))
            for i, place in enumerate(_candidates(session))
        ]
    buttons.append(Button(ctx.say("preferences.button_skip"), make_payload(NAME, "skip", step)))
    if step != ORDER[0] or _state(session).get("editing"):
        buttons.append(Button(ctx.say("preferences.button_back"), make_payload(NAME, "back", step)))
    if _profile(session).to_dict() and not _state(session).get("editing"):
        buttons.append(Button(ctx.say("preferences.button_change"), make_payload(NAME, "change")))
    return tuple(buttons)


def _choices(ctx: Context, step: Step) -> list[tuple[str, str]]:
    """Returns (value, label) for each fixed choice of a question."""
    if step == Step.TRAVEL:
        return [(str(m), ctx.say("preferences.travel_option", miles=m)) for m in _travel_choices(ctx)]
    prefix = "gcse" if step == Step.GCSE_WHICH else str(step)
    year = start_year(ctx.clock.now().date())
    return [(value, ctx.say(f"preferences.{prefix}_{value}", year=year)) for value in OPTIONS.get(step, ())]


def _travel_choices(ctx: Context) -> list[int]:
    limit = ctx.config.shortlist.max_travel_miles
    found = (int(part) for part in ctx.say("preferences.travel_choices").split(",") if part.strip().isdigit())
    return [miles for miles in found if 1 <= miles <= limit]


# Answers by button.


def _chosen(ctx: Context, session: Session, step: Step, value: str) -> Outcome:
    """Records a button answer for the current question; a forged value re-asks it."""
    if step == Step.SUBJECT:
        if value not in ctx.content.knowledge.subjects:
            return _reask(ctx, session, "preferences.stale_button")
        return _set_subjects(ctx, session, (value,))
    if step == Step.TRAVEL:
        miles = _number(value)
        if miles is None or not 1 <= miles <= ctx.config.shortlist.max_travel_miles:
            return _reask(ctx, session, "preferences.stale_button")
        return _set_travel(ctx, session, miles)
    if value not in OPTIONS.get(step, ()):
        return _reask(ctx, session, "preferences.stale_button")
    return _apply_choice(ctx, session, step, value)


def _apply_choice(ctx: Context, session: Session, step: Step, value: str) -> Outcome:
    profile = _profile(session)
    if step == Step.PHASE:
        return _set_phase(ctx, session, Phase(value))
    if step == Step.GCSE:
        if value == "all":
            updated = replace(profile, gcse_english="yes", gcse_maths="yes", gcse_science="yes")
            return _next(ctx, _answered(session, updated, step), step)
        return _ask(ctx, _at(session, Step.GCSE_WHICH).with_data(pref={**_state(session), "gcse": value}))
    if step == Step.GCSE_WHICH:
        status = "no" if _state(session).get("gcse") == "missing" else "pending"
        gcses: dict[str, Any] = {
            name: ("yes" if key != value else status) for key, name in GCSE_FIELDS.items()
        }
        return _next(ctx, _answered(session, replace(profile, **gcses), step), step)
    changes: dict[Step, dict[str, Any]] = {
        Step.DEGREE: {"degree": value},
        Step.SALARY: {"needs_salary": FLAGS.get(value)},
        Step.MODE: {"mode": value},
        Step.START: {"start": value},
        Step.VISA: {"needs_visa": FLAGS.get(value)},
    }
    return _next(ctx, _answered(session, replace(profile, **changes[step]), step), step)


def _set_subjects(ctx: Context, session: Session, subjects: tuple[str, ...]) -> Outcome:
    """Typing "primary" as the subject, as the question suggests, answers the age group too."""
    profile = _profile(session)
    if profile.phase == Phase.PRIMARY and "primary" not in subjects:
        subjects = ("primary", *subjects)
    profile = replace(profile, subjects=subjects)
    if "primary" in subjects and profile.phase is None:
        profile = replace(profile, phase=Phase.PRIMARY)
    return _next(ctx, _answered(session, profile, Step.SUBJECT), Step.SUBJECT)


def _set_phase(ctx: Context, session: Session, phase: Phase) -> Outcome:
    """Primary teachers teach every subject, so "primary" joins any specialism the person gave."""
    profile = replace(_profile(session), phase=phase)
    if phase == Phase.PRIMARY and "primary" not in profile.subjects:
        profile = replace(profile, subjects=("primary", *profile.subjects))
    moved = _next(ctx, _answered(session, profile, Step.PHASE), Step.PHASE)
    signpost = SIGNPOSTED.get(phase)
    if signpost is None:
        return moved
    return Outcome((ctx.reply(signpost, Status.INFO), *moved.replies), moved.session)


def _set_travel(ctx: Context, session: Session, miles: float) -> Outcome:
    profile = replace(_profile(session), travel_miles=miles)
    return _next(ctx, _answered(session, profile, Step.TRAVEL), Step.TRAVEL)


def _set_place(ctx: Context, session: Session, place: Place) -> Outcome:
    found = place_details(ctx, Profile(place=place))
    profile = replace(_profile(session).merged(found), abroad=None)
    moved = _next(ctx, _answered(session, profile, Step.PLACE, candidates=[]), Step.PLACE)
    return _with_nation_note(ctx, moved, profile)


def _set_outside(ctx: Context, session: Session, name: str, nation: str) -> Outcome:
    """A place outside Great Britain: no distances to measure, and advice about training from there."""
    outside = Profile(abroad=name, nation=nation, lives_in_england=False)
    profile = replace(_profile(session).merged(outside), place=None, pay_area=None, travel_miles=None)
    moved = _next(ctx, _answered(session, profile, Step.PLACE, candidates=[]), Step.PLACE)
    return _with_nation_note(ctx, moved, profile)


def _with_nation_note(ctx: Context, moved: Outcome, profile: Profile) -> Outcome:
    note = nation_note(ctx, profile)
    return moved if note is None else Outcome((Reply(note, Status.INFO), *moved.replies), moved.session)


def _pick_place(ctx: Context, session: Session, index: str) -> Outcome:
    candidates = _candidates(session)
    if _current(session) != Step.PLACE_CHOICE or not index.isdigit() or int(index) >= len(candidates):
        return _reask(ctx, session, "preferences.stale_button")
    return _set_place(ctx, session, candidates[int(index)])


def _candidates(session: Session) -> list[Place]:
    stored = _state(session).get("candidates")
    if not isinstance(stored, list):
        return []
    places = (Profile.from_dict({"place": item}).place for item in stored)
    return [place for place in places if place is not None]


def _place_label(ctx: Context, place: Place) -> str:
    if place.kind == "place" and place.county and place.county != place.name:
        return ctx.say("preferences.place_label", name=place.name, county=place.county)
    return ctx.say("preferences.place_label_area", name=place.name, country=place.country or place.region)


# Answers by typing.


def _typed_words(ctx: Context, key: str) -> frozenset[str]:
    """The phrases in a "typed_" message, compared as lower-case words."""
    if key not in ctx.content.knowledge.messages:
        return frozenset()
    return _phrases(ctx.say(key))


@lru_cache(maxsize=512)
def _phrases(listed: str) -> frozenset[str]:
    """The "|"-separated phrases of a message as lower-case words, worked out once per message text."""
    return frozenset(" ".join(words(phrase)) for phrase in listed.split("|") if phrase.strip())


def _typed_match(ctx: Context, text: str, key: str, label: str | None = None) -> bool:
    """Whether the text is the label, one of the phrases, or holds one of the phrases of two words or more."""
    said = " ".join(words(text))
    if label is not None and said == " ".join(words(label)):
        return True
    phrases = _typed_words(ctx, key)
    return said in phrases or any(" " in p and f" {p} " in f" {said} " for p in phrases)


def _typed_control(ctx: Context, text: str) -> str | None:
    for control, key in (("skip", "preferences.typed_skip"), ("back", "preferences.typed_back")):
        if _typed_match(ctx, text, key):
            return control
    return "change" if _typed_match(ctx, text, "preferences.typed_change") else None


def _looks_like_question(ctx: Context, text: str) -> bool:
    said = words(text)
    if len(said) < MIN_QUESTION_WORDS:
        return False
    return "?" in text or said[0] in _typed_words(ctx, "preferences.typed_question")


def _answerable(ctx: Context, text: str) -> Match | None:
    """The match for a typed line when it can be answered or suggested, so it is matched only once."""
    found = ctx.content.matcher.match(text)
    return found if found.status in ("answered", "suggested") else None


def _answer_then_reask(ctx: Context, text: str, session: Session, found: Match) -> Outcome:
    answered = answer_text(ctx, text, session, found)
    asked = _ask(ctx, session, "preferences.back_to_questions")
    return Outcome((*answered.replies, *asked.replies), asked.session)


# Fields that answer each question, for telling which questions one typed line answers.
STEP_FIELDS: dict[Step, tuple[str, ...]] = {
    Step.SUBJECT: ("subjects",),
    Step.PHASE: ("phase",),
    Step.PLACE: ("place", "abroad", "nation", "lives_in_england", "pay_area"),
    Step.TRAVEL: ("travel_miles",),
    Step.DEGREE: ("degree",),
    Step.GCSE: ("gcse_english", "gcse_maths", "gcse_science"),
    Step.SALARY: ("needs_salary",),
    Step.MODE: ("mode",),
    Step.START: ("start",),
    Step.VISA: ("needs_visa",),
}


def _told_facts(ctx: Context, text: str, session: Session, step: Step) -> Outcome | None:
    """A line that tells more than the current question asks fills every question it answers."""
    main = PARENT.get(step, step)
    noted = note_facts(ctx, text, session, str(main))
    if main not in STEP_FIELDS:  # the summary: show it again with what they told us
        return with_note(_summary(ctx, noted.session), noted) if noted.line is not None else None
    stated = set(noted.found.to_dict())
    if noted.buttons and not stated:  # only about someone else: ask whose it is, then this question again
        return with_note(_ask(ctx, noted.session), noted)
    if noted.line is None or stated <= set(STEP_FIELDS[main]):
        return None  # nothing, or only this question's answer: the question's own reader knows it best
    filled = [s for s, names in STEP_FIELDS.items() if stated & set(names)]
    answered = [s for s in _state(noted.session).get("answered", []) if s not in filled]
    moved = _saved(noted.session, _profile(noted.session), answered=answered + [str(s) for s in filled])
    if main in filled or _known(_profile(moved), main):
        return with_note(_next(ctx, moved, main), noted)
    return with_note(_ask(ctx, moved), noted)


def _not_understood(ctx: Context, text: str, session: Session, note: str, **params: object) -> Outcome:
    """A typed line that is no answer: a question gets its answer, anything else a short note."""
    found = _answerable(ctx, text)
    if found is not None:
        return _answer_then_reask(ctx, text, session, found)
    problem = ctx.reply(note, Status.CLARIFICATION, (), **params)
    asked = _ask(ctx, session)
    return Outcome((problem, *asked.replies), asked.session)


def _read_choice(ctx: Context, text: str, session: Session, step: Step) -> Outcome:
    value = _typed_choice(ctx, text, step)
    if value is not None:
        return _apply_choice(ctx, session, step, value)
    return _not_understood(ctx, text, session, "preferences.choice_not_understood")


def _typed_choice(ctx: Context, text: str, step: Step) -> str | None:
    if step == Step.DEGREE:
        found = ctx.content.matcher.finder.find(text).degree_class
        if found in DEGREE_CLASSES:
            return DEGREE_CLASSES[found]
    prefix = "gcse" if step == Step.GCSE_WHICH else str(step)
    for value, label in _choices(ctx, step):
        if _typed_match(ctx, text, f"preferences.typed_{prefix}_{value}", label):
            return value
    return None


def _read_subject(ctx: Context, text: str, session: Session, step: Step) -> Outcome:
    found = ctx.content.matcher.finder.find(text).subjects
    if found:
        return _set_subjects(ctx, session, found)
    suggestions = _subject_suggestions(ctx, text)
    if not suggestions:
        return _not_understood(ctx, text, session, "preferences.subject_not_found")
    knowledge = ctx.content.knowledge
    buttons = [
        Button(knowledge.subjects[s].name, make_payload(NAME, Step.SUBJECT, s)) for s in suggestions
    ] + list(_question_buttons(ctx, session, Step.SUBJECT))
    return Outcome((ctx.reply("preferences.subject_suggest", Status.CLARIFICATION, tuple(buttons)),), session)


def _subject_suggestions(ctx: Context, text: str) -> list[str]:
    """Subjects whose names look like what was typed, for a misspelling the aliases do not cover."""
    names = {
        name.casefold(): subject.id
        for subject in ctx.content.knowledge.subjects.values()
        for name in (subject.name, *subject.aliases)
    }
    hits = process.extract(text.casefold(), list(names), scorer=fuzz.ratio, limit=MAX_SUGGESTIONS * 3)
    ids = dict.fromkeys(names[name] for name, score, _ in hits if score >= SUGGEST_SCORE)
    return list(ids)[:MAX_SUGGESTIONS]


def _read_place(ctx: Context, text: str, session: Session, step: Step) -> Outcome:
    if step == Step.PLACE_CHOICE:
        for index, place in enumerate(_candidates(session)):
            labels = (_place_label(ctx, place), place.county)
            if any(_typed_match(ctx, text, "", label) for label in labels):
                return _pick_place(ctx, session, str(index))
    places = ctx.content.gazetteer.resolve(text)
    if not places:
        mentioned = ctx.content.gazetteer.find_in_text(text)
        places = [mentioned] if mentioned is not None else []
    if not places:
        outside = ctx.content.gazetteer.outside(text) or ctx.content.gazetteer.outside_in_text(text)
        if outside is not None:
            return _set_outside(ctx, _at(session, Step.PLACE), *outside)
    if not places:
        shown = text if len(text) <= 40 else text[:39] + "…"
        return _not_understood(ctx, text, session, "preferences.place_not_found", typed=shown)
    if len(places) == 1:
        return _set_place(ctx, _at(session, Step.PLACE), places[0])
    stored = [Profile(place=p).to_dict()["place"] for p in places[:MAX_PLACES]]
    return _ask(
        ctx, _at(session, Step.PLACE_CHOICE).with_data(pref={**_state(session), "candidates": stored})
    )


def _read_travel(ctx: Context, text: str, session: Session, step: Step) -> Outcome:
    found = _NUMBER.search(text)
    if found is None:
        return _not_understood(ctx, text, session, "preferences.travel_not_understood")
    miles = float(found.group())
    limit = ctx.config.shortlist.max_travel_miles
    if not 1 <= miles <= limit:
        problem = ctx.reply("preferences.travel_out_of_range", Status.CLARIFICATION, max=limit)
        return Outcome((problem, *_ask(ctx, session).replies), session)
    return _set_travel(ctx, session, miles)


def _number(text: str) -> float | None:
    found = _NUMBER.fullmatch(text)
    return float(found.group()) if found else None


def _read_summary(ctx: Context, text: str, session: Session, step: Step) -> Outcome:
    return _not_understood(ctx, text, session, "preferences.choice_not_understood")


_TEXT_READERS: dict[Step, Callable[[Context, str, Session, Step], Outcome]] = {
    Step.SUBJECT: _read_subject,
    Step.PLACE: _read_place,
    Step.PLACE_CHOICE: _read_place,
    Step.TRAVEL: _read_travel,
    Step.SUMMARY: _read_summary,
}


# The summary of answers.


def _summary(ctx: Context, session: Session, note: str | None = None) -> Outcome:
    """Lists the answers so far, each with a button to change just that one."""
    session = _at(session, Step.SUMMARY).with_data(pref={**_state(session), "editing": False})
    lines = [(step, _summary_line(ctx, session, step)) for step in ORDER]
    if _profile(session).to_dict():
        text = ctx.say("preferences.summary", lines="\n".join(line for _, line in lines))
    else:
        text = ctx.say("preferences.summary_empty")
    extras = extra_lines(ctx, _profile(session))
    if extras:
        kept = [ctx.say("profile.other_line", fact=fact) for _, fact in extras]
        text = f"{text.rstrip()}\n\n" + "\n".join([ctx.say("profile.other_heading"), *kept])
    if note is not None:
        text = f"{ctx.say(note)}\n\n{text}"
    buttons = [Button(line, make_payload(NAME, "edit", step)) for step, line in lines]
    buttons += [
        Button(_short(ctx.say("profile.button_forget", fact=fact)), make_payload(NAME, "forget", field))
        for field, fact in extras
    ]
    buttons += [
        Button(ctx.say("preferences.button_show"), make_payload(NAME, "done")),
        Button(ctx.say("preferences.button_start_again"), make_payload(NAME, "restart")),
        Button(ctx.say("preferences.button_menu"), make_payload("start", "menu")),
    ]
    return Outcome((Reply(text, Status.PROMPT, tuple(buttons)),), session)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _summary_line(ctx: Context, session: Session, step: Step) -> str:
    value = _summary_value(ctx, _profile(session), step)
    if value is None:
        unsure = "not_sure" in OPTIONS.get(step, ()) and str(step) in _state(session).get("answered", [])
        value = ctx.say(f"preferences.{step}_not_sure") if unsure else ctx.say("preferences.not_given")
    return ctx.say(f"preferences.summary_{step}", value=value)


def _summary_value(ctx: Context, profile: Profile, step: Step) -> str | None:
    knowledge = ctx.content.knowledge
    joiner = ctx.say("preferences.list_separator")
    if step == Step.SUBJECT and profile.subjects:
        return joiner.join(knowledge.subjects[s].name for s in profile.subjects if s in knowledge.subjects)
    if step == Step.PLACE and profile.place is not None:
        return _place_label(ctx, profile.place)
    if step == Step.TRAVEL and profile.travel_miles is not None:
        return ctx.say("preferences.travel_value", miles=f"{profile.travel_miles:g}")
    if step == Step.GCSE:
        return _gcse_value(ctx, profile)
    raw = {
        Step.PHASE: profile.phase,
        Step.DEGREE: profile.degree,
        Step.SALARY: _flag_value(profile.needs_salary),
        Step.MODE: profile.mode,
        Step.START: profile.start,
        Step.VISA: _flag_value(profile.needs_visa),
    }.get(step)
    return dict(_choices(ctx, step)).get(str(raw)) if raw is not None else None


def _flag_value(flag: bool | None) -> str | None:
    return None if flag is None else ("yes" if flag else "no")


def _gcse_value(ctx: Context, profile: Profile) -> str | None:
    answers = {key: getattr(profile, name) for key, name in GCSE_FIELDS.items()}
    if all(answer is None for answer in answers.values()):
        return None
    for status, key in (
        ("no", "preferences.gcse_value_missing"),
        ("pending", "preferences.gcse_value_waiting"),
    ):
        subject = next((k for k, v in answers.items() if v == status), None)
        if subject is not None:
            return ctx.say(key, subject=ctx.say(f"preferences.gcse_{subject}").lower())
    return ctx.say("preferences.gcse_all")
