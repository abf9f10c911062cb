"""Filling a store with the saved conversations of many earlier people, as a busy bot would hold."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from bot.core.session import Session
from bot.storage.base import Store

SEEDED_CHANNEL = "telegram"
_JOURNEYS = ("ask", "start", None)


def seeded_user(number: int) -> str:
    """Returns the user id of the numbered seeded person."""
    return f"{100_000_000 + number}"


def seeded_session(number: int, at: datetime) -> Session:
    """Returns a plausible saved session for the numbered person, last seen some minutes before at."""
    seen = at - timedelta(minutes=number % 50_000)
    data: dict[str, object] = {"last_buttons": [["Browse topics", "start:topics"], ["Menu", "start:menu"]]}
    if number % 3 == 0:
        data["profile"] = {"subject": "physics", "phase": "secondary", "postcode": "S1"}
    return Session(
        channel=SEEDED_CHANNEL,
        user_id=seeded_user(number),
        journey=_JOURNEYS[number % len(_JOURNEYS)],
        step=None,
        data=data,
        campaign="spring-fair" if number % 7 == 0 else None,
        created_at=seen - timedelta(days=number % 90),
        updated_at=seen,
    )


async def seed_sessions(store: Store, count: int, at: datetime) -> float:
    """Saves count sessions through the store's own save_session and returns the seconds it took."""
    started = time.perf_counter()
    for number in range(count):
        await store.save_session(seeded_session(number, at))
    return time.perf_counter() - started
