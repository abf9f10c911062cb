"""Answering questions: match the words, then answer, suggest, or offer a way forward."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from bot.core.journey import Context, Outcome
from bot.core.routing import make_payload
from bot.core.session import Session
from bot.core.types import Button, Reply, Status
from bot.knowledge.model import AnswerEntry
from bot.knowledge.structured import provider_answer, route_answer
from bot.knowledge.values import render
from bot.matching.decide import Match
from bot.matching.intent import QUESTION_WORDS
from bot.matching.normalise import words
from bot.storage.base import FeedbackRecord
from handlers.answers import structured_answer
from handlers.profile import Noted, note_facts, profile_line, with_note
from handlers.smalltalk import small_talk_kind, small_talk_reply
from handlers.start import main_menu

# Buttons show whole questions (Telegram limits the callback data, not the label); only a label longer than
# any canonical question is cut.
MAX_LABEL = 120
MAX_ANSWERS = 3  # answers shown together in one reply
SHORT_ANSWERS = 1500  # characters: answers together longer than this become one answer and buttons
MAX_QUESTIONS = 6
MAX_BARE_SUBJECT_WORDS = 3
_SENTENCE = re.compile(r"(?<=[?!.])\s+|\n+")
# How many answers shown lately still take a thumbs up or down: enough for a person scrolling back.
RATEABLE = 10
# A short message opening like this continues the last question ("and for history?", "what about maths").
FOLLOW_ON = re.compile(r"^\W*(?:and|also|what about|how about|same for|for|ok and|what for)\b", re.IGNORECASE)


class AskJourney:
    """Answers free-text questions and the answer buttons."""

    name = "ask"
    commands: frozenset[str] = frozenset()

    async def on_command(self, ctx: Context, command: str, args: str, session: Session) -> Outcome:
        """Has no commands of its own; treats the text as a question."""
        return await self.on_text(ctx, args, session)

    async def on_button(self, ctx: Context, action: str, session: Session) -> Outcome:
        """Shows a chosen answer, records a thumbs up or down, or gives the way to a person."""
        if action == "person":
            return Outcome((await small_talk_reply(ctx, "person", ""),), session)
        kind, _, entry_id = action.partition(":")
        entry = ctx.content.knowledge.answers.get(entry_id)
        if entry is None:
            return _stale(ctx, session)
        if kind == "e":
            reply = _answer_reply(ctx, entry, None, session, Status.ANSWERED)
            return Outcome((reply,), _shown(session, entry.id))
        if kind in ("up", "dn"):
            return await _feedback(ctx, entry, kind == "up", session)
        return _stale(ctx, session)

    async def on_text(self, ctx: Context, text: str, session: Session) -> Outcome:
        """Answers small talk kindly, and a typed question from the knowledge."""
        kind = small_talk_kind(ctx, text)
        if kind is not None:
            return Outcome((await small_talk_reply(ctx, kind, text),), session)
        noted = note_facts(ctx, text, session)
        found = ctx.content.matcher.match(text) if text.strip() else None
        if noted.line is not None and found is not None and _unanswered(ctx, found, session):
            return _noted_only(ctx, noted)  # they told us about themselves; "no answer" would be wrong
        several = _several_questions(ctx, text, noted.session)
        if several is not None:
            return with_note(several, noted)
        return with_note(answer_text(ctx, text, noted.session, found), noted)


def answer_text(ctx: Context, text: str, session: Session, found: Match | None = None) -> Outcome:
    """Matches a question (unless its match is given) and replies with an answer, suggestions or a way
    forward."""
    if not text.strip():
        return Outcome((ctx.reply("core.empty", Status.CLARIFICATION, main_menu(ctx)),), session)
    if found is None:
        found = ctx.content.matcher.match(text)
    answers = ctx.content.knowledge.answers
    best = answers.get(found.best.entry) if found.best is not None else None
    confident = found.status == "answered" and best is not None
    if found.status == "out_of_scope" or (confident and best is not None and best.topic == "out_of_scope"):
        return Outcome((_out_of_scope(ctx, found, best),), session)
    carried = _subject_for_last_answer(ctx, found, session)
    if carried is not None:
        return _answered(ctx, carried, found, session)
    if confident and best is not None and not _asks_about_named_provider(found, best):
        return _answered(ctx, best, found, session)
    carried = _follow_on(ctx, found, session)
    if carried is not None:
        return _answered(ctx, carried, found, session)
    named = _named_answer(ctx, found)
    if named is not None:
        return Outcome((named,), session)
    if found.status == "suggested" and found.best is not None:
        return Outcome((_suggestions(ctx, found),), session)
    return Outcome((_no_match(ctx, found),), session)


def _noted_only(ctx: Context, noted: Noted) -> Outcome:
    buttons = (
        *(
            (Button(ctx.say("core.button_shortlist"), make_payload("pref", "begin")),)
            if "pref" in ctx.journeys
            else ()
        ),
        Button(ctx.say("core.button_topics"), make_payload("start", "topics")),
        Button(ctx.say("core.button_menu"), make_payload("start", "menu")),
    )
    text = f"{noted.line}\n\n{ctx.say('profile.noted_next')}"
    return Outcome(
        (Reply(text, Status.CONFIRMED, noted.buttons + buttons, entry="profile/noted"),), noted.session
    )


def _answered(ctx: Context, entry: AnswerEntry, found: Match, session: Session) -> Outcome:
    reply = _answer_reply(ctx, entry, found, session, Status.ANSWERED)
    return Outcome((reply,), _shown(session, entry.id))


def _shown(session: Session, entry_id: str) -> Session:
    """Notes an answer shown with thumbs buttons, so that showing takes one rating."""
    rateable = [*_rateable(session), entry_id][-RATEABLE:]
    return session.with_data(last_entry=entry_id, rateable=rateable)


def _rateable(session: Session) -> list[str]:
    found = session.data.get("rateable")
    return [item for item in found if isinstance(item, str)] if isinstance(found, list) else []


def _unanswered(ctx: Context, found: Match, session: Session) -> bool:
    """True when the message gets no answer: declined, or unmatched and not a follow-on of the last answer."""
    if found.status == "out_of_scope":
        return True
    return found.status == "no_match" and _follow_on(ctx, found, session) is None


def _follow_on(ctx: Context, found: Match, session: Session) -> AnswerEntry | None:
    """Reads "and what about history?" after a subject or route answer as the same question again."""
    last = ctx.content.knowledge.answers.get(str(session.data.get("last_entry", "")))
    if last is None or found.entities.degree_class or not FOLLOW_ON.match(found.question):
        return None
    if last.structured == "bursary_for_subject" and found.entities.subjects:
        return last
    if last.structured == "route_details" and found.entities.routes:
        return last
    return None


def _subject_for_last_answer(ctx: Context, found: Match, session: Session) -> AnswerEntry | None:
    """A bare subject ("chemistry") just after the bursary answer asked for one is the subject for it."""
    last = ctx.content.knowledge.answers.get(str(session.data.get("last_entry", "")))
    said = words(found.question)
    if last is None or last.structured != "bursary_for_subject" or not found.entities.subjects:
        return None
    return last if len(said) <= MAX_BARE_SUBJECT_WORDS else None


# Several questions in one message.


def _several_questions(ctx: Context, text: str, session: Session) -> Outcome | None:
    """Answers each question of a message: up to three short answers together, or the first and buttons."""
    questions = _questions(text)
    if len(questions) < 2:  # one question: the whole message's match answers it
        return None
    found_all = _answered_questions(ctx, questions)
    asked = [(q, m, e) for q, m, e in found_all if m.status == "answered"]
    if len(asked) < 2 and not (asked and len(found_all) >= 2):
        return None
    # A question the matcher is unsure of is offered as a button, never answered alongside the others.
    unsure = [item for item in found_all if item[1].status != "answered"]
    if unsure:
        asked = [*asked[:1], *(item for item in found_all if item not in asked[:1])]
        asked = asked[: MAX_ANSWERS + len(found_all)]
    replies = [_answer_reply(ctx, entry, found, session, Status.ANSWERED) for _, found, entry in asked]
    first_entry = asked[0][2]
    moved = session.with_data(last_entry=first_entry.id)
    together = replies[:MAX_ANSWERS]
    if not unsure and len(asked) <= MAX_ANSWERS and sum(len(r.text) for r in together) <= SHORT_ANSWERS:
        parts = [
            ctx.say("ask.several_answer", question=entry.question, answer=reply.text)
            for (_, _, entry), reply in zip(asked, together, strict=True)
        ]
        combined = replace(replies[0], text="\n\n".join(parts), buttons=_feedback_buttons(ctx, first_entry))
        return Outcome((combined,), moved)
    rest = [Button(_short(question), make_payload("ask", "e", entry.id)) for question, _, entry in asked[1:]]
    first = replies[0]
    return Outcome((replace(first, buttons=(*rest, *first.buttons)),), moved)


def _answered_questions(ctx: Context, questions: list[str]) -> list[tuple[str, Match, AnswerEntry]]:
    """Each question that the matcher answers or suggests for on its own, with a different entry each."""
    answers = ctx.content.knowledge.answers
    out: list[tuple[str, Match, AnswerEntry]] = []
    for question in questions:
        found = ctx.content.matcher.match(question)
        entry = answers.get(found.best.entry) if found.best is not None else None
        if found.status not in ("answered", "suggested") or entry is None or entry.topic == "out_of_scope":
            continue
        if all(entry.id != seen.id for _, _, seen in out):
            out.append((question, found, entry))
    return out


def _questions(text: str) -> list[str]:
    """The pieces of a message that ask something: ending in "?" or opening with a question word."""
    pieces = (p.strip() for p in _SENTENCE.split(text) if p.strip())
    asked = [p for p in pieces if p.endswith("?") or (words(p)[:1] and words(p)[0] in QUESTION_WORDS)]
    return asked[:MAX_QUESTIONS]


def _feedback_buttons(ctx: Context, entry: AnswerEntry) -> tuple[Button, ...]:
    return (
        Button(ctx.say("core.button_helpful"), make_payload("ask", "up", entry.id)),
        Button(ctx.say("core.button_not_helpful"), make_payload("ask", "dn", entry.id)),
        Button(ctx.say("core.button_menu"), make_payload("start", "menu")),
    )


def _asks_about_named_provider(found: Match, best: AnswerEntry) -> bool:
    """A provider named in a message that matched only a general question is what they want to know about."""
    return bool(found.entities.providers) and best.topic in ("routes_overview", "location_region")


def _named_answer(ctx: Context, found: Match) -> Reply | None:
    """Answers with a provider's or route's own facts when the message names one and nothing fitted better."""
    knowledge = ctx.content.knowledge
    menu = Button(ctx.say("core.button_menu"), make_payload("start", "menu"))
    for provider_id in found.entities.providers:
        provider = knowledge.providers.get(provider_id)
        if provider is not None:
            text = provider_answer(knowledge, provider)
            return _card(
                found, Reply(text, Status.ANSWERED, (menu,), f"provider/{provider.id}", "location_region")
            )
    for route_id in found.entities.routes:
        route = knowledge.routes.get(route_id)
        if route is not None:
            text = route_answer(knowledge, route)
            return _card(
                found, Reply(text, Status.ANSWERED, (menu,), entry=f"route/{route.id}", topic=route.topic)
            )
    return None


def _card(found: Match, card: Reply) -> Reply:
    """A card shown on a guess is logged as a suggestion under the question's own topic, not as an answer."""
    if found.status == "answered":
        return card
    if found.best is None:
        return replace(card, status=Status.SUGGESTED)
    return replace(card, status=Status.SUGGESTED, topic=found.best.topic, score=found.best.score)


def _answer_reply(
    ctx: Context, entry: AnswerEntry, found: Match | None, session: Session, status: Status
) -> Reply:
    knowledge = ctx.content.knowledge
    text = structured_answer(ctx, entry, found, session) or render(knowledge, entry.answer.strip())
    own = profile_line(ctx, entry.topic, session)
    if own is not None:
        text = f"{own}\n\n{text}"
    buttons = [
        Button(_short(knowledge.answers[f].question), make_payload("ask", "e", f))
        for f in entry.follow_ups
        if f in knowledge.answers
    ]
    if found is not None:
        for other in found.other_questions:
            if other.entry != entry.id and other.entry not in entry.follow_ups:
                question = knowledge.answers[other.entry].question
                label = ctx.say("core.also_asked", question=_short(question, MAX_LABEL - 6))
                buttons.insert(0, Button(label, make_payload("ask", "e", other.entry)))
    buttons.append(Button(ctx.say("core.button_helpful"), make_payload("ask", "up", entry.id)))
    buttons.append(Button(ctx.say("core.button_not_helpful"), make_payload("ask", "dn", entry.id)))
    buttons.append(Button(ctx.say("core.button_menu"), make_payload("start", "menu")))
    score = found.best.score if found is not None and found.best is not None else None
    return Reply(
        text=text, status=status, buttons=tuple(buttons), entry=entry.id, topic=entry.topic, score=score
    )


def _suggestions(ctx: Context, found: Match) -> Reply:
    knowledge = ctx.content.knowledge
    assert found.best is not None
    options = [found.best, *found.alternatives][: ctx.config.matching.suggestions]
    buttons = [
        Button(_short(knowledge.answers[o.entry].question), make_payload("ask", "e", o.entry))
        for o in options
        if o.entry in knowledge.answers and knowledge.answers[o.entry].topic != "out_of_scope"
    ]
    buttons.append(Button(ctx.say("core.button_none_of_these"), make_payload("start", "topics")))
    return Reply(
        text=ctx.say("core.did_you_mean"),
        status=Status.SUGGESTED,
        buttons=tuple(buttons),
        entry=found.best.entry,
        topic=found.best.topic,
        score=found.best.score,
    )


def _no_match(ctx: Context, found: Match) -> Reply:
    buttons = (Button(ctx.say("core.button_topics"), make_payload("start", "topics")), *main_menu(ctx)[2:])
    best = found.best
    return Reply(
        text=ctx.say("core.no_match"),
        status=Status.NO_MATCH,
        buttons=(*buttons, Button(ctx.say("core.button_menu"), make_payload("start", "menu"))),
        entry=best.entry if best else None,
        topic=best.topic if best else None,
        score=best.score if best else None,
    )


def _out_of_scope(ctx: Context, found: Match, entry: AnswerEntry | None) -> Reply:
    if entry is not None and entry.topic == "out_of_scope":
        text = render(ctx.content.knowledge, entry.answer.strip())
    else:
        text = ctx.say("core.out_of_scope")
    return Reply(
        text=text,
        status=Status.OUT_OF_SCOPE,
        buttons=main_menu(ctx),
        entry=entry.id if entry else None,
        topic="out_of_scope",
        score=found.best.score if found.best else None,
    )


async def _feedback(ctx: Context, entry: AnswerEntry, helpful: bool, session: Session) -> Outcome:
    rateable = _rateable(session)
    if entry.id not in rateable:  # never shown, or already rated: a forged or repeated press counts nothing
        return _stale(ctx, session)
    rateable.remove(entry.id)
    session = session.with_data(rateable=rateable)
    at: datetime = ctx.clock.now()
    await ctx.store.add_feedback(
        FeedbackRecord(channel=ctx.channel, user_id=ctx.user_id, entry=entry.id, helpful=helpful, at=at)
    )
    key = "core.thanks_helpful" if helpful else "core.thanks_not_helpful"
    reply = ctx.reply(key, Status.INFO, main_menu(ctx))
    return Outcome(
        (Reply(reply.text, reply.status, reply.buttons, entry=entry.id, topic=entry.topic),), session
    )


def _stale(ctx: Context, session: Session) -> Outcome:
    return Outcome((ctx.reply("core.stale_button", Status.MENU, main_menu(ctx)),), session)


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
