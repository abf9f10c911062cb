"""Replies to small talk: greetings, thanks, "are you a bot", complaints, and asking for a person."""

from __future__ import annotations

from bot.core.handoff import HandoffRequest
from bot.core.journey import Context
from bot.core.routing import make_payload
from bot.core.types import Button, Reply, Status
from bot.matching.smalltalk import KINDS, small_talk_finder

__all__ = ["small_talk_kind", "small_talk_reply"]

MESSAGES = "smalltalk"
ENTRY = "smalltalk"  # turn-log entries read "smalltalk/<kind>", so staff can count them


def small_talk_kind(ctx: Context, text: str, kinds: tuple[str, ...] = KINDS) -> str | None:
    """Returns which kind of small talk the text is, among the kinds given, or None."""
    messages = ctx.content.knowledge.messages
    phrases = tuple(
        (kind, messages[key])
        for kind in (*KINDS, "filler")
        if (key := f"{MESSAGES}.{kind}_phrases") in messages
    )
    found = small_talk_finder(phrases).kind(text)
    return found if found in kinds else None


async def small_talk_reply(ctx: Context, kind: str, text: str) -> Reply:
    """Returns the kind reply to small talk; a request for a person is also passed to the handoff hook."""
    said = ctx.say(f"{MESSAGES}.{kind}")
    if kind == "person":
        request = HandoffRequest(ctx.channel, ctx.user_id, text, ctx.clock.now())
        if await ctx.handoff.request(request):
            said = f"{said.rstrip()}\n\n{ctx.say(f'{MESSAGES}.person_passed_on')}"
    return Reply(said.strip(), Status.INFO, _buttons(ctx, kind), entry=f"{ENTRY}/{kind}")


def _buttons(ctx: Context, kind: str) -> tuple[Button, ...]:
    buttons = [Button(ctx.say(f"{MESSAGES}.button_topics"), make_payload("start", "topics"))]
    if "pref" in ctx.journeys:
        buttons.insert(0, Button(ctx.say(f"{MESSAGES}.button_shortlist"), make_payload("pref", "begin")))
    if kind in ("bot", "complaint"):
        buttons.append(Button(ctx.say(f"{MESSAGES}.button_adviser"), make_payload("ask", "person")))
    buttons.append(Button(ctx.say("core.button_menu"), make_payload("start", "menu")))
    return tuple(buttons)
