"""Showing a person their impartial shortlist of routes and providers, and how it is made (/how)."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.core.journey import Context, Outcome
from bot.core.routing import make_payload
from bot.core.session import Session
from bot.core.types import Button, Reply, Status
from bot.knowledge.model import Knowledge
from bot.knowledge.values import message
from bot.shortlist.eligibility import Reason
from bot.shortlist.profile import Profile
from bot.shortlist.rank import ProviderFit, RouteFit, Shortlist, build_shortlist, explain_method_keys
from handlers.ask import answer_text

__all__ = ["ShortlistJourney", "show_shortlist"]

MAX_REPLY = 3500  # characters; kept well under Telegram's 4096 so one section never gets cut
HOW_EXTRA = "preferences.how_only_your_answers"


class ShortlistJourney:
    """Shows the shortlist again, and explains how it is made."""

    name = "list"
    commands = frozenset({"how"})

    async def on_command(self, ctx: Context, command: str, args: str, session: Session) -> Outcome:
        """Explains the method behind the shortlist."""
        return Outcome((how_reply(ctx, session),), session)

    async def on_button(self, ctx: Context, action: str, session: Session) -> Outcome:
        """Shows the shortlist or the method; an unknown action shows the method too."""
        if action == "show":
            return show_shortlist(ctx, session)
        return Outcome((how_reply(ctx, session),), session)

    async def on_text(self, ctx: Context, text: str, session: Session) -> Outcome:
        """Never waits for text; answers it as a question."""
        return answer_text(ctx, text, session)


def show_shortlist(ctx: Context, session: Session) -> Outcome:
    """Builds the person's shortlist from their stored answers, replies with it and records what was shown."""
    if not isinstance(session.data.get("profile"), dict):
        start = Button(ctx.say("preferences.list_button_answer_questions"), make_payload("pref", "begin"))
        return Outcome((ctx.reply("preferences.list_none_yet", Status.PROMPT, (start,)),), session)
    searched, default_used = _with_travel(ctx, Profile.from_dict(session.data["profile"]))
    now = ctx.clock.now()
    shortlist = build_shortlist(
        ctx.content.knowledge,
        searched,
        seed=f"{ctx.channel}:{ctx.user_id}",
        max_providers=ctx.config.shortlist.max_providers,
        today=now.astimezone(ZoneInfo(ctx.config.timezone)).date(),
    )
    replies = _replies(ctx, searched, shortlist, default_used)
    record = {
        "providers": [fit.provider_id for fit in shortlist.providers],
        "routes": [fit.route_id for fit in shortlist.eligible_routes],
        "made_at": now.isoformat(),
    }
    return Outcome(replies, session.moved_to(None, None).with_data(shortlist=record))


def how_reply(ctx: Context, session: Session) -> Reply:
    """Returns the plain-English explanation of how the shortlist is ordered."""
    keys = (*explain_method_keys(), HOW_EXTRA)
    text = "\n\n".join(ctx.say(key).strip() for key in keys)
    buttons: list[Button] = []
    if "profile" in session.data:
        buttons.append(Button(ctx.say("preferences.button_show"), make_payload("list", "show")))
    buttons.append(Button(ctx.say("preferences.button_menu"), make_payload("start", "menu")))
    return Reply(text=text, status=Status.INFO, buttons=tuple(buttons))


def _with_travel(ctx: Context, profile: Profile) -> tuple[Profile, bool]:
    """A person who gave a place but no distance is shown providers within the default distance."""
    if profile.place is None or profile.travel_miles is not None:
        return profile, False
    return replace(profile, travel_miles=float(ctx.config.shortlist.default_travel_miles)), True


def _replies(ctx: Context, profile: Profile, shortlist: Shortlist, default_used: bool) -> tuple[Reply, ...]:
    sections = [
        [ctx.say("preferences.list_intro").strip(), *_route_blocks(ctx, shortlist)],
        _provider_blocks(ctx, profile, shortlist),
    ]
    closing = [*_note_blocks(ctx, profile, shortlist, default_used), ctx.say("preferences.list_next").strip()]
    texts = [chunk for section in sections for chunk in _chunks(section)]
    texts.extend(_chunks(closing))
    last = len(texts) - 1
    return tuple(
        Reply(text=text, status=Status.SHORTLIST, buttons=_buttons(ctx, shortlist) if i == last else ())
        for i, text in enumerate(texts)
    )


def _say(knowledge: Knowledge, line: Reason) -> str:
    return message(knowledge, line.key, **line.values(knowledge))


def _route_blocks(ctx: Context, shortlist: Shortlist) -> list[str]:
    knowledge = ctx.content.knowledge
    open_routes = shortlist.eligible_routes
    if not open_routes:
        blocks = [ctx.say("preferences.list_no_routes").strip()]
    else:
        # One block, so a message never ends part way through the numbered list.
        numbered = [_route_block(ctx, n, fit) for n, fit in enumerate(open_routes, start=1)]
        blocks = ["\n\n".join([ctx.say("preferences.list_routes_heading"), *numbered])]
    closed = [fit for fit in shortlist.routes if not fit.eligible]
    if closed:
        lines = [
            ctx.say("preferences.list_closed_line", name=_route_name(knowledge, fit.route_id), reason=why)
            for fit in closed
            if (why := _say(knowledge, fit.reasons[0]) if fit.reasons else "")
        ]
        blocks.append("\n".join([ctx.say("preferences.list_closed_heading"), *lines]))
    return blocks


def _route_block(ctx: Context, number: int, fit: RouteFit) -> str:
    knowledge = ctx.content.knowledge
    title = ctx.say("preferences.list_route", number=number, name=_route_name(knowledge, fit.route_id))
    lines = [ctx.say("preferences.list_bullet", text=_say(knowledge, r)) for r in (*fit.reasons, *fit.money)]
    return "\n".join([title, *lines])


def _route_name(knowledge: Knowledge, route_id: str) -> str:
    route = knowledge.routes.get(route_id)
    return route.name if route is not None else route_id


def _provider_blocks(ctx: Context, profile: Profile, shortlist: Shortlist) -> list[str]:
    if not shortlist.providers:
        if profile.travel_miles is not None and profile.place is not None:
            miles = round(profile.travel_miles)
            return [ctx.say("preferences.list_no_providers_near", miles=miles, place=profile.place.name)]
        return [ctx.say("preferences.list_no_providers")]
    if profile.place is not None:
        heading = ctx.say("preferences.list_providers_near", place=profile.place.name)
    else:
        heading = ctx.say("preferences.list_providers_heading")
    blocks = [heading, *(_provider_line(ctx, profile, fit) for fit in shortlist.providers)]
    if shortlist.more_providers:
        blocks.append(ctx.say("preferences.list_more_providers", count=shortlist.more_providers))
    return blocks


def _provider_line(ctx: Context, profile: Profile, fit: ProviderFit) -> str:
    knowledge = ctx.content.knowledge
    provider = knowledge.providers[fit.provider_id]
    kind_key = f"preferences.list_kind_{provider.kind}"
    kind = ctx.say(kind_key) if kind_key in knowledge.messages else provider.kind.replace("_", " ")
    routes = ctx.say("preferences.list_and").join(_route_name(knowledge, r) for r in fit.routes)
    subjects = ctx.say("preferences.list_and").join(
        knowledge.subjects[s].name if s in knowledge.subjects else s for s in fit.subjects
    )
    offers = (
        ctx.say("preferences.list_offers_subjects", routes=routes, subjects=subjects)
        if subjects
        else ctx.say("preferences.list_offers", routes=routes)
    )
    where = ctx.say("preferences.list_provider", name=provider.name, town=provider.town, kind=kind)
    distance = _distance(ctx, profile, fit.distance_miles)
    return "\n".join(part for part in (where, distance, offers) if part)


def _distance(ctx: Context, profile: Profile, miles: float | None) -> str:
    if miles is None:
        where = profile.place is not None or profile.abroad is not None
        return ctx.say("preferences.list_distance_remote") if where else ""
    rounded = round(miles)
    if rounded < 1:
        return ctx.say("preferences.list_distance_under_one")
    if rounded == 1:
        return ctx.say("preferences.list_distance_one")
    return ctx.say("preferences.list_distance", miles=rounded)


def _note_blocks(ctx: Context, profile: Profile, shortlist: Shortlist, default_used: bool) -> list[str]:
    knowledge = ctx.content.knowledge
    notes = [ctx.say("preferences.list_bullet", text=_say(knowledge, note)) for note in shortlist.notes]
    if default_used and profile.travel_miles is not None:
        travel = ctx.say("preferences.list_default_travel", miles=round(profile.travel_miles))
        notes.append(ctx.say("preferences.list_bullet", text=travel))
    return ["\n".join([ctx.say("preferences.list_notes_heading"), *notes])] if notes else []


def _buttons(ctx: Context, shortlist: Shortlist) -> tuple[Button, ...]:
    buttons: list[Button] = []
    if shortlist.providers and "refer" in ctx.journeys:
        buttons.append(Button(ctx.say("preferences.list_button_refer"), make_payload("refer", "begin")))
    buttons.append(Button(ctx.say("preferences.button_change"), make_payload("pref", "change")))
    buttons.append(Button(ctx.say("preferences.list_button_how"), make_payload("list", "how")))
    buttons.append(Button(ctx.say("preferences.button_menu"), make_payload("start", "menu")))
    return tuple(buttons)


def _chunks(blocks: list[str]) -> list[str]:
    """Joins blocks into as few texts as fit under MAX_REPLY, never splitting a block."""
    texts: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}\n\n{block}" if current else block
        if current and len(joined) > MAX_REPLY:
            texts.append(current)
            joined = block
        current = joined
    if current:
        texts.append(current)
    return texts
