"""Scripted visits driven through the real engine, and a record of what each one saw."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.clock import FixedClock
from bot.core.engine import Engine
from bot.referrals.model import Referral, ReferralStatus
from bot.storage.base import Store, TurnRecord
from tests.conftest import Chat

QUESTION_STATUSES = {"answered", "suggested", "no_match", "out_of_scope"}


@dataclass(frozen=True)
class Visit:
    """One person's conversation: where they came from, when, what they typed, and a thumb on an answer."""

    user: str
    campaign: str | None
    at: datetime
    questions: tuple[str, ...] = ()
    thumb: bool | None = None  # pressed under the first answer, if any
    channel: str = "test"


@dataclass(frozen=True)
class Asked:
    """A typed question and what the bot did with it."""

    user: str
    at: datetime
    text: str
    status: str
    topic: str | None


@dataclass
class Script:
    """Everything the visits did, as seen from outside the bot."""

    asked: list[Asked] = field(default_factory=list)
    thumbs: list[tuple[str, str, bool]] = field(default_factory=list)  # user, entry, helpful


async def play(engine: Engine, visits: list[Visit]) -> Script:
    """Runs each visit through the engine, moving its fixed clock to the visit's time."""
    clock = engine.clock
    assert isinstance(clock, FixedClock)
    script = Script()
    for visit in visits:
        chat = Chat(engine, user_id=visit.user, channel=visit.channel)
        clock.at = visit.at
        await chat.say(f"/start {visit.campaign}" if visit.campaign else "/start")
        thumbed = visit.thumb is None
        for number, text in enumerate(visit.questions, start=1):
            clock.at = visit.at + timedelta(minutes=number)
            reply = (await chat.say(text))[0]
            script.asked.append(Asked(visit.user, clock.at, text, str(reply.status), reply.topic))
            if not thumbed and str(reply.status) == "answered" and reply.entry:
                await chat.press("Helpful" if visit.thumb else "Not helpful")
                script.thumbs.append((visit.user, reply.entry, bool(visit.thumb)))
                thumbed = True
    return script


async def add_shortlist(store: Store, user: str, at: datetime, campaign: str | None) -> None:
    """Logs a shortlist turn, as the shortlist journey does."""
    await store.log_turn(
        TurnRecord("test", user, at, "", "pref:show", "shortlist", None, None, None, "pref", campaign)
    )


def referral(
    rid: str,
    user: str,
    provider: str,
    at: datetime,
    campaign: str | None,
    status: ReferralStatus = ReferralStatus.PENDING,
) -> Referral:
    """A consented referral, as the referral journey stores it."""
    return Referral(
        id=rid,
        channel="test",
        user_id=user,
        provider_id=provider,
        name=f"Person {user}",
        email=f"{user}@example.org",
        phone=None,
        telegram_handle=None,
        preferences={"subjects": ["physics"]},
        campaign=campaign,
        consent_version="2026-11-1",
        consented_at=at,
        status=status,
    )
