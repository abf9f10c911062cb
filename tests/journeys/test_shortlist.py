"""The shortlist as a person sees it, and /how, driven through the real engine."""

from __future__ import annotations

from typing import Any

from bot.config import Config
from bot.core.content import Content
from bot.core.types import Reply, Status
from bot.knowledge.values import message
from bot.shortlist.geo import haversine_miles
from bot.shortlist.rank import explain_method_keys
from handlers.shortlist import MAX_REPLY
from tests.conftest import TODAY, Chat


async def _answer(chat: Chat, *lines: str) -> list[Reply]:
    """Starts the questions and answers each in turn; "-" skips one."""
    replies = await chat.say("/shortlist")
    for line in lines:
        replies = await chat.say("skip" if line == "-" else line)
    return replies


async def _shown(store: Any, chat: Chat) -> dict[str, Any]:
    session = await store.get_session(chat.channel, chat.user_id)
    assert session is not None
    return dict(session.data["shortlist"])


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def test_how_explains_the_method_in_plain_english(chat: Chat, content: Content) -> None:
    replies = await chat.say("/how")
    text = replies[0].text
    for key in explain_method_keys():
        assert message(content.knowledge, key).strip() in text
    lowered = text.casefold()
    assert "only the answers you gave" in lowered
    assert "alphabetical" in lowered
    assert "shuffled fairly" in lowered
    assert replies[0].status == Status.INFO


async def test_the_shortlist_buttons_and_what_it_records(chat: Chat, store: Any, config: Config) -> None:
    replies = await _answer(
        chat, "english", "secondary", "Sheffield", "20", "2:1", "yes", "no", "-", "-", "no"
    )
    main = replies[-1]
    assert main.status == Status.SHORTLIST
    payloads = {b.payload for b in main.buttons}
    assert {"pref:change", "list:how", "start:menu"} <= payloads
    assert "refer:begin" in payloads
    assert all(not r.buttons for r in replies[:-1])
    shown = await _shown(store, chat)
    assert shown["made_at"] == TODAY.isoformat()
    assert 0 < len(shown["providers"]) <= config.shortlist.max_providers
    assert "iqts" not in shown["routes"]


async def test_the_same_person_sees_the_same_order(chat: Chat, store: Any) -> None:
    await _answer(chat, "maths", "secondary", "London", "60", "first", "yes", "not sure", "-", "-", "no")
    first = await _shown(store, chat)
    await chat.tap("list:show")
    assert (await _shown(store, chat))["providers"] == first["providers"]


async def test_providers_lie_within_the_default_distance_when_none_is_given(
    chat: Chat, store: Any, content: Content, config: Config
) -> None:
    replies = await _answer(chat, "primary", "primary", "Reading", "-", "2:2", "yes", "-", "-", "-", "-")
    default = config.shortlist.default_travel_miles
    assert message(content.knowledge, "preferences.list_default_travel", miles=default) in _text(replies)
    reading = content.gazetteer.resolve("Reading")[0]
    for provider_id in (await _shown(store, chat))["providers"]:
        provider = content.knowledge.providers[provider_id]
        assert haversine_miles(reading.lat, reading.lon, provider.lat, provider.lon) <= default


async def test_nothing_nearby_says_so(chat: Chat, store: Any) -> None:
    replies = await _answer(
        chat, "latin", "secondary", "Truro", "3 miles", "2:1", "yes", "no", "-", "-", "no"
    )
    assert "within 3 miles of Truro" in _text(replies)
    assert (await _shown(store, chat))["providers"] == []
    assert "refer:begin" not in {b.payload for b in replies[-1].buttons}


async def test_a_long_shortlist_is_split_into_a_few_replies(chat: Chat) -> None:
    replies = await _answer(chat, *["-"] * 10)
    assert 1 < len(replies) <= 5
    assert all(len(r.text) <= MAX_REPLY for r in replies)
    assert all(r.status == Status.SHORTLIST for r in replies)


async def test_show_without_answers_offers_the_questions(chat: Chat) -> None:
    replies = await chat.tap("list:show")
    assert replies[-1].status == Status.PROMPT
    assert [b.payload for b in replies[-1].buttons] == ["pref:begin"]


async def test_how_from_the_shortlist_offers_the_way_back(chat: Chat) -> None:
    await _answer(chat, "music", "secondary", "Kent", "40", "2:1", "yes", "no", "-", "-", "no")
    replies = await chat.press("How is this list made?")
    assert "list:show" in {b.payload for b in replies[-1].buttons}
    replies = await chat.press("Show my shortlist")
    assert replies[-1].status == Status.SHORTLIST


async def test_change_my_answers_after_the_shortlist(chat: Chat, store: Any) -> None:
    await _answer(chat, "history", "secondary", "York", "20", "2:1", "yes", "no", "-", "-", "no")
    replies = await chat.press("Change my answers")
    assert any(b.label.startswith("Place: York") for b in replies[-1].buttons)
    await chat.press("Place")
    await chat.say("Leeds")
    replies = await chat.press("Show my shortlist")
    assert replies[-1].status == Status.SHORTLIST
    assert "from Leeds" in _text(replies)
