"""The preference questions through the real engine: buttons, typing, skip, back, change and odd input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.core.types import Reply, Status
from bot.knowledge.values import format_fact, message
from bot.storage.sqlite import SqliteStore
from tests.conftest import TODAY, Chat

BURSARY = "bursaries.current.physics.bursary"


async def _session(store: Any, chat: Chat) -> Any:
    session = await store.get_session(chat.channel, chat.user_id)
    assert session is not None
    return session


async def _step(store: Any, chat: Chat) -> str | None:
    return str((await _session(store, chat)).step)


async def _profile(store: Any, chat: Chat) -> dict[str, Any]:
    return dict((await _session(store, chat)).data.get("profile") or {})


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def _say(content: Content, key: str, **params: object) -> str:
    return message(content.knowledge, key, **params)


def _statuses(replies: list[Reply]) -> list[Status]:
    return [r.status for r in replies]


async def test_the_menu_button_starts_with_the_subject_question(chat: Chat, store: Any) -> None:
    await chat.say("/start")
    replies = await chat.press("routes and providers")
    assert replies[-1].status == Status.PROMPT
    assert await _step(store, chat) == "subject"
    assert [b.label for b in replies[-1].buttons] == ["Skip"]


async def test_whole_journey_by_buttons_ends_in_a_shortlist(chat: Chat, store: Any) -> None:
    await chat.say("/shortlist")
    await chat.say("history")
    for label in ("Secondary", None, "20 miles", "2:1", "All three", "Yes", "Part time", "September", "No"):
        if label is None:
            await chat.say("Sheffield")
            continue
        replies = await chat.press(label)
    assert Status.SHORTLIST in _statuses(replies)
    profile = await _profile(store, chat)
    assert profile["subjects"] == ["history"]
    assert profile["phase"] == "secondary"
    assert profile["travel_miles"] == 20
    assert profile["degree"] == "upper_second"
    assert profile["gcse_maths"] == "yes"
    assert profile["needs_salary"] is True
    assert profile["mode"] == "part_time"
    assert profile["start"] == "next_september"
    assert profile["needs_visa"] is False
    session = await _session(store, chat)
    assert session.journey is None
    assert session.data["shortlist"]["providers"]


async def test_whole_journey_by_typing(chat: Chat, store: Any) -> None:
    await chat.say("/preferences")
    typed = ["maths and computing", "secondary", "BN1 1AA", "about 15 miles", "I got a 2:2", "yes", "no",
             "full time", "not sure", "no"]  # fmt: skip
    for line in typed:
        replies = await chat.say(line)
    assert Status.SHORTLIST in _statuses(replies)
    profile = await _profile(store, chat)
    assert profile["subjects"] == ["mathematics", "computing"]
    assert profile["place"]["name"] == "BN1"
    assert profile["travel_miles"] == 15
    assert profile["degree"] == "lower_second"
    assert profile["gcse_english"] == profile["gcse_maths"] == "yes"
    assert profile["needs_salary"] is False
    assert profile["mode"] == "full_time"
    assert profile["start"] == "not_sure"


async def test_brighton_physics_shortlist(chat: Chat, store: Any, content: Content) -> None:
    await chat.say("/shortlist")
    for line in ("physics", "secondary", "Brighton", "40", "2:1", "yes", "no", "full time", "next september"):
        await chat.say(line)
    replies = await chat.say("no")
    text = _text(replies)
    knowledge = content.knowledge
    assert format_fact(knowledge.facts[BURSARY]) in text
    assert _say(content, "shortlist.fee_fits") in text
    assert knowledge.routes["pgce-university"].name in text
    assert replies[-1].buttons and replies[-1].status == Status.SHORTLIST
    shown = (await _session(store, chat)).data["shortlist"]
    assert "pgce-university" in shown["routes"] and "iqts" not in shown["routes"]
    assert shown["providers"]
    _assert_near_and_in_band_order(content, shown["providers"], shown["routes"])


def _assert_near_and_in_band_order(content: Content, providers: list[str], routes: list[str]) -> None:
    """All providers lie within 40 miles of Brighton; best-fitting (fee-paying) ones first, nearest first."""
    from bot.shortlist.geo import distance_miles
    from bot.shortlist.rank import distance_band

    brighton = content.gazetteer.resolve("Brighton")[0]
    knowledge = content.knowledge
    miles = {p: distance_miles(brighton, _as_place(knowledge.providers[p])) for p in providers}
    assert all(m <= 40 for m in miles.values())
    assert "university-of-sussex" in providers
    fee_routes = {"pgce-university", "scitt", "school-direct-fee"} & set(routes)
    best = [p for p in providers if fee_routes & set(knowledge.providers[p].routes)]
    assert providers[: len(best)] == best
    bands = [distance_band(miles[p]) for p in best]
    assert bands == sorted(bands)


def _as_place(provider: Any) -> Any:
    from bot.shortlist.geo import Place

    return Place(provider.name, "", "", "England", provider.lat, provider.lon, "place")


async def test_skip_and_back(chat: Chat, store: Any) -> None:
    await chat.say("/shortlist")
    await chat.press("Skip")
    assert await _step(store, chat) == "phase"
    await chat.press("Back")
    assert await _step(store, chat) == "subject"
    await chat.say("chemistry")
    await chat.say("skip")  # typed, not pressed
    assert await _step(store, chat) == "place"
    assert "phase" not in await _profile(store, chat)
    await chat.say("back")
    assert await _step(store, chat) == "phase"


async def test_back_on_the_first_question_says_so(chat: Chat, store: Any, content: Content) -> None:
    await chat.say("/shortlist")
    replies = await chat.tap("pref:back:subject")
    assert _say(content, "preferences.first_question") in replies[-1].text
    assert await _step(store, chat) == "subject"


async def test_change_one_answer_from_the_summary(chat: Chat, store: Any) -> None:
    await chat.say("/shortlist")
    await chat.say("physics")
    await chat.press("Secondary")
    await chat.say("Leeds")
    replies = await chat.say("change my answers")
    labels = [b.label for b in replies[-1].buttons]
    assert any("Physics" in label for label in labels)
    assert any("Leeds" in label for label in labels)
    await chat.press("Subject")
    assert await _step(store, chat) == "subject"
    replies = await chat.say("chemistry")
    assert await _step(store, chat) == "summary"
    assert "Chemistry" in replies[-1].text and "Leeds" in replies[-1].text
    profile = await _profile(store, chat)
    assert profile["subjects"] == ["chemistry"]
    assert profile["phase"] == "secondary"
    replies = await chat.press("Show my shortlist")
    assert Status.SHORTLIST in _statuses(replies)


async def test_primary_becomes_the_subject_unless_a_specialism_is_given(chat: Chat, store: Any) -> None:
    await chat.say("/shortlist")
    await chat.press("Skip")
    await chat.press("Primary")
    assert (await _profile(store, chat))["subjects"] == ["primary"]
    chat.user_id = "specialist"
    await chat.say("/shortlist")
    await chat.say("maths")
    await chat.press("Primary")
    assert (await _profile(store, chat))["subjects"] == ["primary", "mathematics"]


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Further education", "preferences.signpost_further_education"),
        ("Early years", "preferences.signpost_early_years"),
    ],
)
async def test_further_education_and_early_years_are_signposted(
    chat: Chat, store: Any, content: Content, label: str, key: str
) -> None:
    await chat.say("/shortlist")
    await chat.press("Skip")
    replies = await chat.press(label)
    assert _say(content, key).strip() in _text(replies)
    assert await _step(store, chat) == "place"


async def test_an_ambiguous_place_asks_which_one(chat: Chat, store: Any) -> None:
    await chat.say("/shortlist")
    await chat.say("geography")
    await chat.press("Secondary")
    replies = await chat.say("Newport")
    assert "Newport" in replies[-1].text
    newports = [b for b in replies[-1].buttons if b.label.startswith("Newport")]
    assert 2 <= len(newports) <= 6
    assert await _step(store, chat) == "place_choice"
    await chat.press("Isle of Wight")
    assert await _step(store, chat) == "travel"
    assert (await _profile(store, chat))["place"]["county"] == "Isle of Wight"


async def test_an_unknown_place_gets_a_clear_reply(chat: Chat, store: Any) -> None:
    await chat.say("/shortlist")
    await chat.press("Skip")
    await chat.press("Skip")
    replies = await chat.say("Nowhereville")
    assert replies[0].status == Status.CLARIFICATION
    assert "Nowhereville" in replies[0].text
    assert await _step(store, chat) == "place"
    await chat.say("near Brighton")
    assert (await _profile(store, chat))["place"]["name"] == "Brighton"


@pytest.mark.parametrize("typed", ["-5", "9000 miles", "far", "0"])
async def test_an_impossible_distance_gets_a_clear_reply(chat: Chat, store: Any, typed: str) -> None:
    await chat.say("/shortlist")
    for _ in range(2):
        await chat.press("Skip")
    await chat.say("Sheffield")
    replies = await chat.say(typed)
    assert replies[0].status == Status.CLARIFICATION
    assert await _step(store, chat) == "travel"
    assert "travel_miles" not in await _profile(store, chat)
    await chat.say("30")
    assert (await _profile(store, chat))["travel_miles"] == 30


@pytest.mark.parametrize(
    "payload",
    ["pref:step:zzz", "pref:subject:not-a-subject", "pref:pick:3", "pref:travel:9000", "pref:skip:visa"],
)
async def test_forged_payloads_reask_the_current_question(
    chat: Chat, store: Any, content: Content, payload: str
) -> None:
    await chat.say("/shortlist")
    await chat.say("physics")
    replies = await chat.tap(payload)
    assert replies[-1].status == Status.PROMPT
    assert _say(content, "preferences.stale_button") in replies[-1].text
    assert _say(content, "preferences.ask_phase") in replies[-1].text
    assert await _step(store, chat) == "phase"
    assert (await _profile(store, chat))["subjects"] == ["physics"]


async def test_a_forged_payload_outside_the_questions_starts_them(chat: Chat, store: Any) -> None:
    replies = await chat.tap("pref:phase:secondary")
    assert replies[-1].status == Status.PROMPT
    assert await _step(store, chat) == "subject"


async def test_a_question_in_the_middle_is_answered_then_asked_again(
    chat: Chat, store: Any, content: Content
) -> None:
    await chat.say("/shortlist")
    await chat.say("chemistry")
    await chat.press("Secondary")
    replies = await chat.say("wait how much is the physics bursary?")
    assert replies[0].status == Status.ANSWERED
    assert format_fact(content.knowledge.facts[BURSARY]) in replies[0].text
    assert _say(content, "preferences.ask_place") in replies[-1].text
    assert await _step(store, chat) == "place"
    assert (await _profile(store, chat))["subjects"] == ["chemistry"]
    await chat.say("Kent")
    assert await _step(store, chat) == "travel"


async def test_a_question_at_the_subject_step_is_not_taken_as_a_subject(chat: Chat, store: Any) -> None:
    await chat.say("/shortlist")
    replies = await chat.say("wait how much is the physics bursary?")
    assert replies[0].status == Status.ANSWERED
    assert await _step(store, chat) == "subject"
    assert "subjects" not in await _profile(store, chat)


async def test_a_misspelt_subject_is_suggested(chat: Chat, store: Any) -> None:
    await chat.say("/shortlist")
    replies = await chat.say("phsyics")
    assert replies[-1].status == Status.CLARIFICATION
    assert "Computing" not in [b.label for b in replies[-1].buttons]
    await chat.press("Physics")
    assert (await _profile(store, chat))["subjects"] == ["physics"]


async def test_resume_reasks_the_current_question(chat: Chat, content: Content) -> None:
    await chat.say("/shortlist")
    await chat.say("music")
    replies = await chat.say("/start")
    assert replies[-1].status == Status.MENU
    replies = await chat.press("Carry on")
    assert _say(content, "preferences.ask_phase") in replies[-1].text


async def test_the_questions_survive_a_restart(config: Config, content: Content, tmp_path: Path) -> None:
    from bot.app import build_journeys

    database = tmp_path / "bot.sqlite3"
    first = SqliteStore(database)
    await first.open()
    chat = Chat(Engine(config, ContentHolder(config, content), first, build_journeys(), FixedClock(TODAY)))
    await chat.say("/shortlist")
    await chat.say("french")
    await chat.press("Secondary")
    await first.close()

    second = SqliteStore(database)
    await second.open()
    try:
        engine = Engine(config, ContentHolder(config, content), second, build_journeys(), FixedClock(TODAY))
        again = Chat(engine)
        replies = await again.say("York")
        assert _say(content, "preferences.ask_travel") in replies[-1].text
        session = await second.get_session(again.channel, again.user_id)
        assert session is not None and session.step == "travel"
        assert session.data["profile"]["subjects"] == ["french"]
    finally:
        await second.close()


@pytest.mark.parametrize(
    ("typed", "miles"), [("1", 5), ("3", 20), ("4", 40), ("7 miles", 7), ("about 15", 15)]
)
async def test_the_distance_step_is_numbered_like_every_other(
    chat: Chat, store: Any, typed: str, miles: int
) -> None:
    chat.channel = "terminal"  # the channel that shows buttons numbered
    await chat.say("/shortlist")
    for _ in range(2):
        await chat.press("Skip")
    replies = await chat.say("Sheffield")
    assert replies[-1].numbered
    await chat.say(typed)
    assert (await _profile(store, chat))["travel_miles"] == miles


async def test_where_buttons_have_no_numbers_a_typed_number_is_miles(chat: Chat, store: Any) -> None:
    await chat.say("/shortlist")
    for _ in range(2):
        await chat.press("Skip")
    await chat.say("Sheffield")
    await chat.say("3")
    assert (await _profile(store, chat))["travel_miles"] == 3
