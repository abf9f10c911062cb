"""Thumbs up and down: one rating for each answer a person was actually shown."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.types import Status
from bot.storage.memory import MemoryStore
from tests.conftest import Chat

EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


async def test_a_rating_for_an_answer_never_shown_is_not_stored(chat: Chat, store: MemoryStore) -> None:
    shown = (await chat.say("how much is the physics bursary"))[0]
    assert shown.status is Status.ANSWERED and shown.entry
    for payload in ("ask:up:pgce-university", "ask:dn:pgce-university", f"ask:up:{shown.entry}x"):
        replies = await chat.tap(payload)
        assert replies[0].status is Status.MENU
    assert list(await store.feedback_between(*EVER)) == []


async def test_each_answer_shown_takes_one_rating(chat: Chat, store: MemoryStore) -> None:
    shown = (await chat.say("how much is the physics bursary"))[0]
    first = await chat.press("Helpful")
    assert first[0].status is Status.INFO
    for _ in range(5):
        await chat.tap(f"ask:up:{shown.entry}")
        await chat.tap(f"ask:dn:{shown.entry}")
    assert [(f.entry, f.helpful) for f in await store.feedback_between(*EVER)] == [(shown.entry, True)]
    await chat.say("how much is the physics bursary")
    await chat.press("Not helpful")
    ratings = [(f.entry, f.helpful) for f in await store.feedback_between(*EVER)]
    assert ratings == [(shown.entry, True), (shown.entry, False)], "shown again, rated again"
