"""Putting a person in touch with providers from their shortlist, only after consent to a plain notice."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from bot.core.journey import Context, Outcome
from bot.core.routing import make_payload
from bot.core.session import Session
from bot.core.types import Button, Reply, Status
from bot.knowledge.model import Provider
from bot.knowledge.values import whole_message
from bot.referrals.contact import Checked, check_email, check_name, check_phone
from bot.referrals.model import Referral, ReferralStatus
from bot.shortlist.profile import Profile
from handlers.ask import answer_text
from handlers.start import main_menu

log = logging.getLogger(__name__)

JOURNEY = "refer"
DRAFT = "refer"  # session data: the choices and contact details, kept only until the consent answer
MADE = "referrals_made"  # session data: referral ids in the order made; withdraw buttons index this list
# The messages the consent notice is made of: their wording and privacy.consent_version are what is agreed to.
NOTICE_WORDING = ("referral.consent", "referral.shared_", "referral.pref_")
CONTACT_LOG = "[contact details]"  # what the turn log keeps instead of a typed name, email or phone number
# Profile fields whose stored value is a code; the label is the message "<prefix>_<code>".
_CHOICE_FIELDS = {
    "phase": "phase",
    "degree": "degree",
    "mode": "mode",
    "start": "start",
    "gcse_english": "gcse",
    "gcse_maths": "gcse",
    "gcse_science": "gcse",
}


class Step(StrEnum):
    """Where a person is in asking to be put in touch."""

    PICK = "pick"
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    CONSENT = "consent"


class ReferJourney:
    """Lets a person choose providers, give contact details, consent, and later see or withdraw requests."""

    name = JOURNEY
    commands = frozenset({"refer", "referrals", "withdraw"})

    async def on_command(self, ctx: Context, command: str, args: str, session: Session) -> Outcome:
        """Starts choosing providers, or lists the person's requests (to withdraw one)."""
        if command == "referrals":
            return await _requests(ctx, session, withdrawing=False)
        if command == "withdraw":
            return await _requests(ctx, session, withdrawing=True)
        return _begin(ctx, session)

    async def on_button(self, ctx: Context, action: str, session: Session) -> Outcome:
        """Handles choosing, skipping, cancelling, the consent answer and withdrawing."""
        kind, _, arg = action.partition(":")
        if kind == "withdraw":
            return await _withdraw(ctx, arg, session)
        if kind == "yes":
            return await _consented(ctx, session)
        presses = {"begin": _begin, "done": _done, "skip": _skip, "cancel": _cancel, "no": _declined}
        if kind in presses:
            return presses[kind](ctx, session)
        if kind == "pick":
            return _toggle(ctx, arg, session)
        return _resume(ctx, session)

    async def on_text(self, ctx: Context, text: str, session: Session) -> Outcome:
        """Takes a typed name, email address or phone number, or answers a question while choosing."""
        if _typed(ctx, text, "referral.typed_cancel"):
            return _cancel(ctx, session)
        if session.step == Step.NAME:
            return _take_name(ctx, text, session)
        if session.step == Step.EMAIL:
            return _take_email(ctx, text, session)
        if session.step == Step.PHONE:
            return _take_phone(ctx, text, session)
        if session.step == Step.CONSENT:
            buttons = _consent_buttons(ctx)
            return Outcome(
                (ctx.reply("referral.consent_use_buttons", Status.CLARIFICATION, buttons),), session
            )
        answered = answer_text(ctx, text, session)
        return _show_picks(ctx, answered.session, None, before=answered.replies)


# Choosing providers.


def _begin(ctx: Context, session: Session) -> Outcome:
    shortlisted = _shortlisted(session)
    if shortlisted is None:
        return _needs_shortlist(ctx, session, "referral.no_shortlist")
    if not _available(ctx, shortlisted):
        return _needs_shortlist(ctx, session, "referral.no_providers")
    return _show_picks(ctx, session, None)


def _needs_shortlist(ctx: Context, session: Session, key: str) -> Outcome:
    buttons = (
        Button(ctx.say("referral.button_start_shortlist"), make_payload("pref", "begin")),
        _menu_button(ctx),
    )
    return Outcome((ctx.reply(key, Status.INFO, buttons),), _drop_draft(session))


def _show_picks(ctx: Context, session: Session, note: str | None, before: tuple[Reply, ...] = ()) -> Outcome:
    shortlisted = _shortlisted(session) or []
    available = _available(ctx, shortlisted)
    picked = [p for p in _picked(session) if p in available]
    buttons = [
        Button(_pick_label(ctx, ctx.content.knowledge.providers[p], p in picked), _pick_payload(index))
        for index, p in enumerate(shortlisted)
        if p in available
    ]
    buttons += [Button(ctx.say("referral.button_done"), make_payload(JOURNEY, "done")), _cancel_button(ctx)]
    text = _join(note, ctx.say("referral.pick"))
    session = _with_draft(session.moved_to(JOURNEY, Step.PICK), picked=picked)
    return Outcome((*before, Reply(text=text, status=Status.PROMPT, buttons=tuple(buttons))), session)


def _pick_payload(index: int) -> str:
    return make_payload(JOURNEY, "pick", str(index))


def _pick_label(ctx: Context, provider: Provider, picked: bool) -> str:
    return ctx.say("referral.pick_on" if picked else "referral.pick_off", provider=provider.name)


def _toggle(ctx: Context, arg: str, session: Session) -> Outcome:
    shortlisted = _shortlisted(session)
    if shortlisted is None:
        return _begin(ctx, session)
    if not arg.isdigit() or int(arg) >= len(shortlisted):
        return _show_picks(ctx, session, ctx.say("referral.pick_stale"))
    chosen = shortlisted[int(arg)]
    picked = _picked(session)
    if chosen not in ctx.content.knowledge.providers:
        session = _with_draft(session, picked=[p for p in picked if p != chosen])
        return _show_picks(ctx, session, ctx.say("referral.pick_gone_unnamed"))
    picked = [p for p in picked if p != chosen] if chosen in picked else [*picked, chosen]
    return _show_picks(ctx, _with_draft(session, picked=picked), None)


def _done(ctx: Context, session: Session) -> Outcome:
    available = _available(ctx, _shortlisted(session) or [])
    picked = _picked(session)
    kept = [p for p in picked if p in available]
    if len(kept) < len(picked):
        return _show_picks(ctx, _with_draft(session, picked=kept), ctx.say("referral.pick_gone_unnamed"))
    if not kept:
        return _show_picks(ctx, session, ctx.say("referral.pick_none"))
    reply = ctx.reply("referral.ask_name", Status.PROMPT, (_cancel_button(ctx),))
    return Outcome((reply,), session.moved_to(JOURNEY, Step.NAME))


# Contact details: never written to the turn log.


def _take_name(ctx: Context, text: str, session: Session) -> Outcome:
    checked = check_name(text)
    if checked.value is None:
        return _refused(ctx, "name", checked, session, (_cancel_button(ctx),), "referral.ask_name")
    session = _with_draft(session, name=checked.value).moved_to(JOURNEY, Step.EMAIL)
    reply = ctx.reply("referral.ask_email", Status.PROMPT, _contact_buttons(ctx))
    return Outcome((reply,), session, log_text=CONTACT_LOG)


def _take_email(ctx: Context, text: str, session: Session) -> Outcome:
    if _typed(ctx, text, "referral.typed_skip"):
        return _skip(ctx, session)
    checked = check_email(text)
    if checked.value is None:
        return _refused(ctx, "email", checked, session, _contact_buttons(ctx))
    session = _with_draft(session, email=checked.value).moved_to(JOURNEY, Step.PHONE)
    reply = ctx.reply("referral.ask_phone", Status.PROMPT, _contact_buttons(ctx))
    return Outcome((reply,), session, log_text=CONTACT_LOG)


def _take_phone(ctx: Context, text: str, session: Session) -> Outcome:
    if _typed(ctx, text, "referral.typed_skip"):
        return _skip(ctx, session)
    checked = check_phone(text)
    if checked.value is None:
        return _refused(ctx, "phone", checked, session, _contact_buttons(ctx))
    outcome = _notice(ctx, _with_draft(session, phone=checked.value), None)
    return Outcome(outcome.replies, outcome.session, log_text=CONTACT_LOG)


def _refused(
    ctx: Context, kind: str, checked: Checked, session: Session, buttons: tuple[Button, ...], ask: str = ""
) -> Outcome:
    text = _join(ctx.say(f"referral.bad_{kind}_{checked.reason}"), ctx.say(ask) if ask else None)
    reply = Reply(text=text, status=Status.CLARIFICATION, buttons=buttons)
    return Outcome((reply,), session, log_text=CONTACT_LOG)


def _skip(ctx: Context, session: Session) -> Outcome:
    draft = _draft(session)
    if session.step == Step.EMAIL:
        session = _with_draft(session, email=None).moved_to(JOURNEY, Step.PHONE)
        return Outcome(
            (ctx.reply("referral.ask_phone_needed", Status.PROMPT, _contact_buttons(ctx)),), session
        )
    if session.step == Step.PHONE and draft.get("email"):
        return _notice(ctx, _with_draft(session, phone=None), None)
    if session.step == Step.PHONE:
        text = _join(ctx.say("referral.need_one"), ctx.say("referral.ask_email"))
        reply = Reply(text=text, status=Status.CLARIFICATION, buttons=_contact_buttons(ctx))
        return Outcome((reply,), session.moved_to(JOURNEY, Step.EMAIL))
    return _resume(ctx, session)


# Consent.


class _Notice:
    """Renders the parts of the consent notice, noting whether every one was written in full."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.whole = True

    def __call__(self, key: str, **params: object) -> str:
        text = whole_message(self.ctx.content.knowledge, key, **{k: str(v) for k, v in params.items()})
        if text is None:
            self.whole = False
        return text or ""


def _notice(ctx: Context, session: Session, note: str | None) -> Outcome:
    providers = _chosen_providers(ctx, session)
    if not providers:
        return _show_picks(ctx, session, ctx.say("referral.pick_gone_unnamed"))
    say = _Notice(ctx)
    text = say(
        "referral.consent",
        providers="\n".join(_provider_line(say, p) for p in providers),
        shared="\n".join(_shared_lines(ctx, session, say)),
    )
    if not say.whole:  # consent to a notice with gaps in it would not be consent to anything
        log.error("the consent notice has a missing message or value; no consent was asked")
        reply = ctx.reply("referral.consent_unavailable", Status.ERROR, main_menu(ctx))
        return Outcome((reply,), _drop_draft(session).moved_to(None, None))
    reply = Reply(text=_join(note, text), status=Status.PROMPT, buttons=_consent_buttons(ctx))
    shown = _with_draft(session, consent_version=_wording_version(ctx))
    return Outcome((reply,), shown.moved_to(JOURNEY, Step.CONSENT))


def _wording_version(ctx: Context) -> str:
    """The consent version staff set, and a fingerprint of the notice's wording as it is now."""
    messages = ctx.content.knowledge.messages
    wording = "\0".join(f"{k}\0{messages[k]}" for k in sorted(messages) if k.startswith(NOTICE_WORDING))
    return f"{ctx.config.privacy.consent_version}+{hashlib.sha256(wording.encode()).hexdigest()[:8]}"


def _provider_line(say: Callable[..., str], provider: Provider) -> str:
    return say(
        "referral.consent_provider", provider=provider.name, town=provider.town, website=provider.website
    )


def _shared_lines(ctx: Context, session: Session, say: Callable[..., str]) -> list[str]:
    draft = _draft(session)
    lines = [say("referral.shared_name", name=draft.get("name", ""))]
    if draft.get("email"):
        lines.append(say("referral.shared_email", email=draft["email"]))
    if draft.get("phone"):
        lines.append(say("referral.shared_phone", phone=draft["phone"]))
    if ctx.username:
        lines.append(say("referral.shared_username", username=ctx.username))
    wanted = preference_lines(ctx, shared_preferences(session), say)
    if wanted:
        lines.append(say("referral.shared_preferences"))
        lines += [say("referral.shared_preference", line=line) for line in wanted]
    else:
        lines.append(say("referral.shared_no_preferences"))
    if session.campaign:
        lines.append(say("referral.shared_campaign", campaign=session.campaign))
    return lines


async def _consented(ctx: Context, session: Session) -> Outcome:
    draft = _draft(session)
    if (
        session.step != Step.CONSENT
        or not draft.get("name")
        or not (draft.get("email") or draft.get("phone"))
    ):
        return _resume(ctx, session)
    if not isinstance(draft.get("consent_version"), str):
        return _notice(ctx, session, None)  # no notice was shown in full for this answer
    picked = _picked(session)
    providers = _chosen_providers(ctx, session)
    if len(providers) < len(picked):
        session = _with_draft(session, picked=[p.id for p in providers])
        return _notice(ctx, session, ctx.say("referral.consent_changed"))
    made = [_referral(ctx, session, provider) for provider in providers]
    for referral in made:
        await ctx.store.add_referral(referral)
    ids = [*_made(session), *(r.id for r in made)]
    session = _drop_draft(session).with_data(**{MADE: ids}).moved_to(None, None)
    lines = "\n".join(ctx.say("referral.confirmed_line", provider=p.name) for p in providers)
    buttons = [_withdraw_button(ctx, ids, r.id, p.name) for r, p in zip(made, providers, strict=True)]
    reply = ctx.reply("referral.confirmed", Status.CONFIRMED, (*buttons, _menu_button(ctx)), list=lines)
    return Outcome((reply,), session)


def _referral(ctx: Context, session: Session, provider: Provider) -> Referral:
    draft = _draft(session)
    return Referral(
        id=str(uuid4()),
        channel=ctx.channel,
        user_id=ctx.user_id,
        provider_id=provider.id,
        name=str(draft["name"]),
        email=draft.get("email"),
        phone=draft.get("phone"),
        telegram_handle=ctx.username,
        preferences=shared_preferences(session),
        campaign=session.campaign,
        consent_version=str(draft["consent_version"]),
        consented_at=ctx.clock.now(),
    )


def _declined(ctx: Context, session: Session) -> Outcome:
    reply = ctx.reply("referral.declined", Status.INFO, main_menu(ctx))
    return Outcome((reply,), _drop_draft(session).moved_to(None, None))


def _cancel(ctx: Context, session: Session) -> Outcome:
    reply = ctx.reply("referral.cancelled", Status.INFO, main_menu(ctx))
    return Outcome((reply,), _drop_draft(session).moved_to(None, None))


def _resume(ctx: Context, session: Session) -> Outcome:
    """Asks the current step again; a press from an old message outside this journey shows the menu."""
    if session.journey != JOURNEY or session.step not in set(Step):
        return Outcome((ctx.reply("core.stale_button", Status.MENU, main_menu(ctx)),), session)
    if session.step == Step.CONSENT:
        return _notice(ctx, session, None)
    asks = {
        Step.NAME: "referral.ask_name",
        Step.EMAIL: "referral.ask_email",
        Step.PHONE: "referral.ask_phone",
    }
    if session.step in asks:
        buttons = (_cancel_button(ctx),) if session.step == Step.NAME else _contact_buttons(ctx)
        return Outcome((ctx.reply(asks[Step(session.step)], Status.PROMPT, buttons),), session)
    return _show_picks(ctx, session, None)


# Seeing and withdrawing requests.


async def _requests(ctx: Context, session: Session, withdrawing: bool, note: str | None = None) -> Outcome:
    referrals = await ctx.store.referrals_for(ctx.channel, ctx.user_id)
    ids = _made(session)
    ids += [r.id for r in reversed(referrals) if r.id not in ids]
    session = session.with_data(**{MADE: ids or None})
    if not referrals:
        return Outcome(
            (Reply(_join(note, ctx.say("referral.referrals_none")), Status.INFO, main_menu(ctx)),), session
        )
    lines = "\n".join(_request_line(ctx, r) for r in referrals)
    pending = [r for r in referrals if r.status is ReferralStatus.PENDING]
    buttons = [_withdraw_button(ctx, ids, r.id, _provider_name(ctx, r.provider_id)) for r in pending]
    ask = None
    if withdrawing:
        ask = ctx.say("referral.withdraw_pick" if pending else "referral.withdraw_none")
    text = _join(note, _join(ctx.say("referral.referrals_list", list=lines), ask))
    return Outcome((Reply(text, Status.INFO, (*buttons, _menu_button(ctx))),), session)


def _request_line(ctx: Context, referral: Referral) -> str:
    status = ctx.say(f"referral.status_{referral.status.value}", date=_date(ctx, referral.sent_at))
    name = _provider_name(ctx, referral.provider_id)
    return ctx.say(
        "referral.referral_line", provider=name, date=_date(ctx, referral.consented_at), status=status
    )


async def _withdraw(ctx: Context, arg: str, session: Session) -> Outcome:
    ids = _made(session)
    if not arg.isdigit() or int(arg) >= len(ids):
        return await _requests(ctx, session, True, ctx.say("referral.withdraw_stale"))
    referral_id = ids[int(arg)]
    if await ctx.store.withdraw_referral(referral_id, ctx.channel, ctx.user_id):
        found = await _find(ctx, referral_id)
        provider = _provider_name(ctx, found.provider_id) if found else ""
        return Outcome(
            (ctx.reply("referral.withdrawn", Status.CONFIRMED, main_menu(ctx), provider=provider),), session
        )
    found = await _find(ctx, referral_id)
    if found is None:
        return await _requests(ctx, session, True, ctx.say("referral.withdraw_stale"))
    return Outcome((_not_withdrawn(ctx, found),), session)


def _not_withdrawn(ctx: Context, referral: Referral) -> Reply:
    provider = ctx.content.knowledge.providers.get(referral.provider_id)
    name = provider.name if provider else referral.provider_id
    if referral.status is ReferralStatus.WITHDRAWN:
        return ctx.reply("referral.already_withdrawn", Status.INFO, main_menu(ctx), provider=name)
    if provider is None:
        return ctx.reply("referral.already_sent_no_website", Status.INFO, main_menu(ctx), provider=name)
    return ctx.reply(
        "referral.already_sent", Status.INFO, main_menu(ctx), provider=name, website=provider.website
    )


async def _find(ctx: Context, referral_id: str) -> Referral | None:
    referrals = await ctx.store.referrals_for(ctx.channel, ctx.user_id)
    return next((r for r in referrals if r.id == referral_id), None)


def _withdraw_button(ctx: Context, ids: Sequence[str], referral_id: str, provider: str) -> Button:
    return Button(
        ctx.say("referral.button_withdraw", provider=provider),
        make_payload(JOURNEY, "withdraw", str(ids.index(referral_id))),
    )


# The stated preferences, shared with providers and shown back to the person.


def shared_preferences(session: Session) -> dict[str, Any]:
    """Returns the person's stated preferences as shared with a provider: the known answers only."""
    return Profile.from_dict(session.data.get("profile")).to_dict()


def preference_lines(
    ctx: Context, preferences: Mapping[str, Any], say: Callable[..., str] | None = None
) -> list[str]:
    """Returns one readable line per stated preference, such as "degree: 2:1" (worded by say if given)."""
    say = say or ctx.say
    lines = []
    for key, value in preferences.items():
        shown = _preference_value(ctx, key, value, say)
        if shown is not None and f"referral.pref_{key}" in ctx.content.knowledge.messages:
            lines.append(say(f"referral.pref_{key}", value=shown))
    return lines


def _preference_value(ctx: Context, key: str, value: Any, say: Callable[..., str]) -> str | None:
    if key == "subjects" and isinstance(value, list):
        subjects = ctx.content.knowledge.subjects
        return ", ".join(subjects[s].name if s in subjects else str(s) for s in value)
    if key == "place" and isinstance(value, Mapping):
        return str(value.get("name", ""))
    if key == "travel_miles" and isinstance(value, int | float):
        return f"{value:g}"
    if key in ("age", "current_job", "abroad") and isinstance(value, int | str):
        return str(value)
    if key == "degree_subject" and isinstance(value, str):
        subject = ctx.content.knowledge.subjects.get(value)
        return subject.name if subject is not None else value
    if isinstance(value, bool):
        return say("referral.value_yes" if value else "referral.value_no")
    if key in _CHOICE_FIELDS:
        return say(f"referral.{_CHOICE_FIELDS[key]}_{value}")
    return None


# Small pieces shared by the steps above.


def _shortlisted(session: Session) -> list[str] | None:
    shortlist = session.data.get("shortlist")
    providers = shortlist.get("providers") if isinstance(shortlist, dict) else None
    if not isinstance(providers, list) or not all(isinstance(p, str) for p in providers):
        return None
    return providers


def _available(ctx: Context, shortlisted: Sequence[str]) -> set[str]:
    return {p for p in shortlisted if p in ctx.content.knowledge.providers}


def _chosen_providers(ctx: Context, session: Session) -> list[Provider]:
    available = _available(ctx, _shortlisted(session) or [])
    return [ctx.content.knowledge.providers[p] for p in _picked(session) if p in available]


def _draft(session: Session) -> dict[str, Any]:
    draft = session.data.get(DRAFT)
    return dict(draft) if isinstance(draft, dict) else {}


def _with_draft(session: Session, **changes: Any) -> Session:
    draft = _draft(session)
    for key, value in changes.items():
        if value is None:
            draft.pop(key, None)
        else:
            draft[key] = value
    return session.with_data(**{DRAFT: draft})


def _drop_draft(session: Session) -> Session:
    return session.with_data(**{DRAFT: None})


def _picked(session: Session) -> list[str]:
    picked = _draft(session).get("picked")
    return [p for p in picked if isinstance(p, str)] if isinstance(picked, list) else []


def _made(session: Session) -> list[str]:
    made = session.data.get(MADE)
    return [r for r in made if isinstance(r, str)] if isinstance(made, list) else []


def _provider_name(ctx: Context, provider_id: str) -> str:
    provider = ctx.content.knowledge.providers.get(provider_id)
    return provider.name if provider else provider_id


def _date(ctx: Context, at: datetime | None) -> str:
    if at is None:
        return ""
    local = at.astimezone(ZoneInfo(ctx.config.timezone))
    return f"{local.day} {local:%B} {local.year}"


def _typed(ctx: Context, text: str, key: str) -> bool:
    words = {word.strip().casefold() for word in ctx.say(key).split("|")}
    return text.strip().rstrip(".!").casefold() in words - {""}


def _join(first: str | None, second: str | None) -> str:
    return "\n\n".join(part.strip() for part in (first, second) if part)


def _consent_buttons(ctx: Context) -> tuple[Button, ...]:
    return (
        Button(ctx.say("referral.button_yes"), make_payload(JOURNEY, "yes"), decisive=True),
        Button(ctx.say("referral.button_no"), make_payload(JOURNEY, "no")),
    )


def _contact_buttons(ctx: Context) -> tuple[Button, ...]:
    return (Button(ctx.say("referral.button_skip"), make_payload(JOURNEY, "skip")), _cancel_button(ctx))


def _cancel_button(ctx: Context) -> Button:
    return Button(ctx.say("referral.button_cancel"), make_payload(JOURNEY, "cancel"))


def _menu_button(ctx: Context) -> Button:
    return Button(ctx.say("referral.button_menu"), make_payload("start", "menu"))
