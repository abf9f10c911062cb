"""Privacy: what is kept and why, showing a person everything held about them, and erasing it on request."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.journey import Context, Outcome
from bot.core.routing import make_payload
from bot.core.session import Session
from bot.core.types import Attachment, Button, Reply, Status
from bot.storage.base import ErasureReport
from handlers.ask import answer_text
from handlers.refer import preference_lines
from handlers.start import main_menu

JOURNEY = "privacy"
FORGET_ASKED = "forget_asked"  # session data: when /forget was asked, so only a confirmed press erases
MAX_REPLY = 3500  # Telegram refuses messages over 4096 characters; leave room for the channel's framing
MAX_REPLIES = 4  # beyond this, the attached file holds the rest
MAX_TURN_SHOWN = 200  # characters of each logged message shown in the text; the file has them whole
EXPORT_NAME = "mydata.json"


class PrivacyJourney:
    """Explains what is kept, shows it, and deletes it when the person confirms."""

    name = JOURNEY
    commands = frozenset({"privacy", "mydata", "forget"})

    async def on_command(self, ctx: Context, command: str, args: str, session: Session) -> Outcome:
        """Explains privacy, shows the person's data, or asks to confirm deleting it."""
        if command == "mydata":
            return await _mydata(ctx, session)
        if command == "forget":
            return _ask_forget(ctx, session)
        return _info(ctx, session)

    async def on_button(self, ctx: Context, action: str, session: Session) -> Outcome:
        """Handles the privacy buttons: information, my data, and the two steps of deleting."""
        if action == "mydata":
            return await _mydata(ctx, session)
        if action == "forget":
            return _ask_forget(ctx, session)
        if action == "forget:yes":
            return await _forget(ctx, session)
        if action == "forget:no":
            reply = ctx.reply("privacy.forget_kept", Status.INFO, main_menu(ctx))
            return Outcome((reply,), session.with_data(**{FORGET_ASKED: None}))
        return _info(ctx, session)

    async def on_text(self, ctx: Context, text: str, session: Session) -> Outcome:
        """Never waits for typed text; answers it as a question."""
        return answer_text(ctx, text, session)


def _info(ctx: Context, session: Session) -> Outcome:
    buttons = (
        Button(ctx.say("privacy.button_mydata"), make_payload(JOURNEY, "mydata")),
        Button(ctx.say("privacy.button_forget"), make_payload(JOURNEY, "forget")),
        Button(ctx.say("privacy.button_menu"), make_payload("start", "menu")),
    )
    reply = ctx.reply("privacy.info", Status.INFO, buttons, days=ctx.config.privacy.retention_days)
    return Outcome((reply,), session)


# /mydata


async def _mydata(ctx: Context, session: Session) -> Outcome:
    held = await ctx.store.export_person(ctx.channel, ctx.user_id)
    blocks = [ctx.say("privacy.mydata_intro"), *_session_blocks(ctx, held.get("session"))]
    blocks += [*_referral_blocks(ctx, held.get("referrals") or []), _feedback_block(ctx, held)]
    texts = _pack(ctx, blocks, _turn_lines(ctx, held.get("turns") or []))
    content = json.dumps(held, ensure_ascii=False, indent=2).encode("utf-8")
    attachment = Attachment(filename=EXPORT_NAME, content=content, mime_type="application/json")
    buttons = (
        Button(ctx.say("privacy.button_forget"), make_payload(JOURNEY, "forget")),
        Button(ctx.say("privacy.button_menu"), make_payload("start", "menu")),
    )
    replies = [Reply(text=text, status=Status.INFO) for text in texts[:-1]]
    replies.append(Reply(text=texts[-1], status=Status.INFO, buttons=buttons, attachment=attachment))
    return Outcome(tuple(replies), session)


def _session_blocks(ctx: Context, held: Any) -> list[str]:
    if not isinstance(held, Mapping):
        return []
    found = held.get("data")
    data: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    blocks = [ctx.say("privacy.mydata_started", date=_when(ctx, held.get("created_at"), with_time=False))]
    if held.get("campaign"):
        blocks.append(ctx.say("privacy.mydata_campaign", campaign=held["campaign"]))
    blocks.append(_answers_block(ctx, data.get("profile")))
    blocks += _shortlist_blocks(ctx, data.get("shortlist"))
    blocks += _draft_blocks(ctx, data.get("refer"))
    return blocks


def _answers_block(ctx: Context, profile: Any) -> str:
    lines = preference_lines(ctx, profile) if isinstance(profile, Mapping) else []
    if not lines:
        return ctx.say("privacy.mydata_no_answers")
    return "\n".join(
        [ctx.say("privacy.mydata_answers"), *(ctx.say("privacy.mydata_answer", line=x) for x in lines)]
    )


def _shortlist_blocks(ctx: Context, shortlist: Any) -> list[str]:
    ids = shortlist.get("providers") if isinstance(shortlist, Mapping) else None
    if not isinstance(ids, list) or not ids:
        return []
    return [
        ctx.say("privacy.mydata_shortlist", providers=", ".join(_provider_name(ctx, str(p)) for p in ids))
    ]


def _draft_blocks(ctx: Context, draft: Any) -> list[str]:
    if not isinstance(draft, Mapping):
        return []
    details = [str(draft[key]) for key in ("name", "email", "phone") if draft.get(key)]
    return [ctx.say("privacy.mydata_draft", details=", ".join(details))] if details else []


def _referral_blocks(ctx: Context, referrals: list[Any]) -> list[str]:
    if not referrals:
        return [ctx.say("privacy.mydata_no_referrals")]
    lines = [ctx.say("privacy.mydata_referrals")]
    none = ctx.say("privacy.mydata_not_given")
    for item in referrals:
        lines.append(
            ctx.say(
                "privacy.mydata_referral",
                provider=_provider_name(ctx, str(item.get("provider_id"))),
                date=_when(ctx, item.get("consented_at"), with_time=False),
                status=ctx.say(f"privacy.status_{item.get('status')}"),
                name=item.get("name") or none,
                email=item.get("email") or none,
                phone=item.get("phone") or none,
                username=item.get("telegram_handle") or none,
            )
        )
    return ["\n".join(lines)]


def _feedback_block(ctx: Context, held: Mapping[str, Any]) -> str:
    return ctx.say("privacy.mydata_feedback", count=len(held.get("feedback") or []))


def _turn_lines(ctx: Context, turns: list[Any]) -> list[str]:
    lines = [ctx.say("privacy.mydata_turns", count=len(turns))] if turns else []
    for turn in turns:
        when = _when(ctx, turn.get("at"), with_time=True)
        text = str(turn.get("text") or "")
        if not text:
            lines.append(ctx.say("privacy.mydata_turn_press", when=when))
            continue
        shown = text if len(text) <= MAX_TURN_SHOWN else text[: MAX_TURN_SHOWN - 1] + "…"
        lines.append(ctx.say("privacy.mydata_turn_text", when=when, text=shown))
    return lines


def _pack(ctx: Context, blocks: list[str], lines: list[str]) -> list[str]:
    """Joins the summary blocks, then the message lines, into a few replies of a readable size."""
    chunks: list[list[str]] = []
    for line in lines:
        if not chunks or len("\n".join([*chunks[-1], line])) > MAX_REPLY:
            chunks.append([])
        chunks[-1].append(line)
    if len(chunks) >= MAX_REPLIES:
        chunks = chunks[: MAX_REPLIES - 1]
        chunks[-1].append(ctx.say("privacy.mydata_turns_more"))
    return ["\n\n".join(blocks), *("\n".join(chunk) for chunk in chunks)]


def _when(ctx: Context, value: Any, with_time: bool) -> str:
    try:
        at = datetime.fromisoformat(str(value)).astimezone(ZoneInfo(ctx.config.timezone))
    except ValueError:
        return str(value)
    day = f"{at.day} {at:%B} {at.year}"
    return f"{day}, {at:%H:%M}" if with_time else day


def _provider_name(ctx: Context, provider_id: str) -> str:
    provider = ctx.content.knowledge.providers.get(provider_id)
    return provider.name if provider else provider_id


# /forget


def _ask_forget(ctx: Context, session: Session) -> Outcome:
    buttons = (
        Button(ctx.say("privacy.button_forget_yes"), make_payload(JOURNEY, "forget", "yes"), decisive=True),
        Button(ctx.say("privacy.button_forget_no"), make_payload(JOURNEY, "forget", "no")),
    )
    asked = session.with_data(**{FORGET_ASKED: ctx.clock.now().isoformat()})
    return Outcome((ctx.reply("privacy.forget_confirm", Status.PROMPT, buttons),), asked)


async def _forget(ctx: Context, session: Session) -> Outcome:
    """Erases everything once confirmed; the session left behind is empty and the turn log keeps no text."""
    if not session.data.get(FORGET_ASKED):
        return _ask_forget(ctx, session)
    report = await ctx.store.erase_person(ctx.channel, ctx.user_id)
    now = ctx.clock.now()
    fresh = Session(channel=ctx.channel, user_id=ctx.user_id, created_at=now, updated_at=now)
    return Outcome((Reply(text=_erased_text(ctx, report), status=Status.CONFIRMED),), fresh, anonymous=True)


def _erased_text(ctx: Context, report: ErasureReport) -> str:
    text = ctx.say(
        "privacy.forgotten", turns=report.turns, referrals=report.referrals, feedback=report.feedback
    )
    if not report.already_sent_to:
        return text
    lines = "\n".join(_sent_line(ctx, provider_id) for provider_id in report.already_sent_to)
    return "\n\n".join([text.strip(), ctx.say("privacy.forgotten_sent", list=lines).strip()])


def _sent_line(ctx: Context, provider_id: str) -> str:
    provider = ctx.content.knowledge.providers.get(provider_id)
    if provider is None:
        return ctx.say("privacy.forgotten_provider_unlisted", provider=provider_id)
    return ctx.say("privacy.forgotten_provider", provider=provider.name, website=provider.website)
