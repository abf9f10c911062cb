"""Referrals through the real engine: choosing, contact details, consent, withdrawing; and input checks."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.core.session import Session
from bot.core.types import Reply, Status, Turn
from bot.knowledge.model import Phase
from bot.referrals.contact import MAX_NAME, check_email, check_name, check_phone
from bot.referrals.model import ReferralStatus
from bot.shortlist.profile import DEGREES, GCSE_ANSWERS, MODES, STARTS, Profile
from bot.storage.base import DigestRecord
from bot.storage.sqlite import SqliteStore
from tests.conftest import TODAY, Chat

USER = "tester"
CHANNEL = "test"
SHORTLISTED = ["university-of-sussex", "south-farnham-scitt", "university-of-chichester"]
PROFILE: dict[str, Any] = {
    "subjects": ["physics"],
    "phase": "secondary",
    "place": {
        "name": "Brighton",
        "county": "Brighton and Hove",
        "region": "South East",
        "country": "England",
        "lat": 50.8284,
        "lon": -0.1395,
        "kind": "place",
    },
    "travel_miles": 40.0,
    "degree": "upper_second",
    "needs_salary": False,
}


async def seed_shortlist(store: Any, user_id: str = USER, campaign: str | None = None) -> None:
    """Saves a session as the shortlist journey leaves it: a profile and the providers shown."""
    shortlist = {"providers": SHORTLISTED, "routes": ["pgce-university"], "made_at": TODAY.isoformat()}
    session = Session(CHANNEL, user_id, data={"profile": PROFILE, "shortlist": shortlist}, campaign=campaign)
    await store.save_session(session)


def text_of(replies: list[Reply]) -> str:
    """All reply texts as one string."""
    return "\n".join(r.text for r in replies)


def payloads(replies: list[Reply]) -> list[str]:
    """Every button payload shown."""
    return [b.payload for r in replies for b in r.buttons]


def provider_name(content: Content, provider_id: str) -> str:
    """The provider's display name from the knowledge."""
    return content.knowledge.providers[provider_id].name


def without_provider(content: Content, provider_id: str) -> Content:
    """The same content as after a reload of knowledge files that no longer list one provider."""
    providers = {k: v for k, v in content.knowledge.providers.items() if k != provider_id}
    knowledge = replace(content.knowledge, providers=MappingProxyType(providers))
    return replace(content, knowledge=knowledge)


def raw(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Runs one query on the database file through a separate plain connection."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@dataclass
class Bench:
    """A person talking to the real engine over a real SQLite file."""

    chat: Chat
    store: SqliteStore
    path: Path
    engine: Engine


@pytest.fixture
async def bench(tmp_path: Path, config: Config, content: Content) -> AsyncIterator[Bench]:
    """The engine with every journey on a SQLite file in tmp_path, at a fixed time."""
    from bot.app import build_journeys

    path = tmp_path / "bot.sqlite3"
    store = SqliteStore(path)
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY))
    yield Bench(Chat(engine, user_id=USER, channel=CHANNEL), store, path, engine)
    await store.close()


async def choose_two_and_give_contact(chat: Chat, content: Content) -> list[Reply]:
    """Picks the first and third shortlisted providers and gives a name, an email and a phone number."""
    await chat.tap("refer:begin")
    await chat.press(provider_name(content, SHORTLISTED[0]))
    await chat.press(provider_name(content, SHORTLISTED[2]))
    await chat.press("Done choosing")
    await chat.say("Sam O'Neill")
    await chat.say("sam@example.org")
    return await chat.say("07700 900123")


# The journey.


async def test_without_a_shortlist_it_explains_and_offers_the_questions(chat: Chat) -> None:
    replies = await chat.say("/refer")
    assert "pref:begin" in payloads(replies)
    assert replies[0].status is Status.INFO
    assert "refer:pick:0" not in payloads(replies)


async def test_the_list_shows_each_shortlisted_provider_as_a_toggle(
    chat: Chat, store: Any, content: Content
) -> None:
    await seed_shortlist(store)
    replies = await chat.tap("refer:begin")
    labels = [b.label for b in replies[-1].buttons]
    for provider_id in SHORTLISTED:
        assert provider_name(content, provider_id) in labels
    first = provider_name(content, SHORTLISTED[0])
    picked = await chat.press(first)
    assert first not in [b.label for b in picked[-1].buttons]
    assert any(first in b.label and b.label != first for b in picked[-1].buttons)
    unpicked = await chat.tap("refer:pick:0")
    assert first in [b.label for b in unpicked[-1].buttons]


async def test_two_providers_with_consent_make_two_referral_rows(
    bench: Bench, config: Config, content: Content
) -> None:
    await seed_shortlist(bench.store)
    await bench.chat.tap("refer:begin")
    await bench.chat.press(provider_name(content, SHORTLISTED[0]))
    await bench.chat.press(provider_name(content, SHORTLISTED[2]))
    await bench.chat.press("Done choosing")
    await bench.chat.say("Sam O'Neill")
    bad = await bench.chat.say("sam@nowhere")
    assert bad[0].status is Status.CLARIFICATION
    assert "doesn't look like an email" in text_of(bad)
    await bench.chat.say("sam@example.org")
    notice = text_of(await bench.chat.say("07700 900123"))
    for expected in (
        "Sam O'Neill",
        "sam@example.org",
        "+447700900123",
        "2:1",
        "Physics",
        "Brighton",
        "/forget",
    ):
        assert expected in notice
    for provider_id in (SHORTLISTED[0], SHORTLISTED[2]):
        assert provider_name(content, provider_id) in notice
        assert content.knowledge.providers[provider_id].website in notice
    assert provider_name(content, SHORTLISTED[1]) not in notice

    confirmed = await bench.chat.press("Yes, share")
    assert confirmed[0].status is Status.CONFIRMED
    rows = raw(
        bench.path,
        "SELECT provider_id, name, email, phone, consent_version, consented_at, status FROM referrals "
        "WHERE user_id = ? ORDER BY provider_id",
        USER,
    )
    assert [r[0] for r in rows] == sorted([SHORTLISTED[0], SHORTLISTED[2]])
    for row in rows:
        assert row[1:4] == ("Sam O'Neill", "sam@example.org", "+447700900123")
        assert row[4].startswith(f"{config.privacy.consent_version}+")
        assert row[5].startswith(TODAY.isoformat()[:19])
        assert row[6] == "pending"


async def test_the_referral_keeps_the_profile_and_no_contact_details_reach_the_turn_log(
    bench: Bench, content: Content
) -> None:
    await seed_shortlist(bench.store)
    await choose_two_and_give_contact(bench.chat, content)
    await bench.chat.press("Yes, share")
    referrals = await bench.store.referrals_for(CHANNEL, USER)
    assert all(r.preferences == PROFILE for r in referrals)
    logged = [row[0] for row in raw(bench.path, "SELECT text FROM turns WHERE user_id = ?", USER)]
    assert "[contact details]" in logged
    for secret in ("O'Neill", "sam@example.org", "07700", "900123"):
        assert not any(secret in text for text in logged), secret
    session = await bench.store.get_session(CHANNEL, USER)
    assert session is not None and "refer" not in session.data


async def test_saying_no_stores_nothing_and_forgets_the_contact_details(
    bench: Bench, content: Content
) -> None:
    await seed_shortlist(bench.store)
    await choose_two_and_give_contact(bench.chat, content)
    declined = await bench.chat.press("No, don't share")
    assert "nothing has been shared" in text_of(declined).casefold()
    assert raw(bench.path, "SELECT count(*) FROM referrals") == [(0,)]
    sessions = raw(bench.path, "SELECT data FROM sessions WHERE user_id = ?", USER)
    assert "sam@example.org" not in sessions[0][0]


async def test_email_or_phone_may_be_skipped_but_not_both(chat: Chat, store: Any, content: Content) -> None:
    await seed_shortlist(store)
    await chat.tap("refer:begin")
    await chat.tap("refer:pick:1")
    await chat.press("Done choosing")
    await chat.say("Ana")
    await chat.say("skip")
    both = await chat.press("Skip")
    assert "at least one way" in text_of(both)
    await chat.say("sam@example")
    await chat.say("ana@example.co.uk")
    notice = text_of(await chat.say("skip"))
    assert "ana@example.co.uk" in notice and "phone number:" not in notice
    await chat.press("Yes, share")
    [made] = await store.referrals_for(CHANNEL, USER)
    assert (made.email, made.phone, made.provider_id) == ("ana@example.co.uk", None, SHORTLISTED[1])


async def test_a_bad_name_or_phone_is_refused_and_asked_again(chat: Chat, store: Any) -> None:
    await seed_shortlist(store)
    await chat.tap("refer:begin")
    await chat.tap("refer:pick:0")
    await chat.press("Done choosing")
    for bad in ("🙂🙂", "Robert'); DROP TABLE referrals;--", "x" * 10_000):
        replies = await chat.say(bad)
        assert replies[0].status is Status.CLARIFICATION, bad
    await chat.say("Jo Smith")
    await chat.say("skip")
    for bad in ("12345", "+1 212 555 0100", "call me maybe"):
        replies = await chat.say(bad)
        assert replies[0].status is Status.CLARIFICATION, bad
    notice = await chat.say("+44 (0)114 496 0000")
    assert "+441144960000" in text_of(notice)


async def test_the_username_and_campaign_are_shown_and_shared(
    engine: Engine, store: Any, content: Content
) -> None:
    await seed_shortlist(store, campaign="brighton-fair")

    async def send(**turn: Any) -> list[Reply]:
        return await engine.handle(Turn(channel=CHANNEL, user_id=USER, username="sam_t", **turn))

    await send(payload="refer:begin")
    await send(payload="refer:pick:0")
    await send(payload="refer:done")
    await send(text="Sam Taylor")
    await send(text="sam@example.org")
    notice = text_of(await send(text="skip"))
    assert "@sam_t" in notice and "brighton-fair" in notice
    await send(payload="refer:yes")
    [made] = await store.referrals_for(CHANNEL, USER)
    assert (made.telegram_handle, made.campaign) == ("sam_t", "brighton-fair")


async def test_cancel_leaves_nothing_behind(chat: Chat, store: Any) -> None:
    await seed_shortlist(store)
    await chat.tap("refer:begin")
    await chat.tap("refer:pick:0")
    await chat.press("Done choosing")
    await chat.say("Sam Taylor")
    replies = await chat.say("cancel")
    assert "nothing has been shared" in text_of(replies).casefold()
    session = await store.get_session(CHANNEL, USER)
    assert session is not None and "refer" not in session.data and session.journey is None
    assert await store.referrals_for(CHANNEL, USER) == []


async def test_a_question_while_choosing_is_answered_and_the_list_shown_again(chat: Chat, store: Any) -> None:
    await seed_shortlist(store)
    await chat.tap("refer:begin")
    replies = await chat.say("how much is the physics bursary")
    assert len(replies) == 2 and replies[0].entry is not None
    assert "refer:pick:0" in payloads(replies[-1:])


async def test_carry_on_after_a_break_asks_the_same_step_again(
    chat: Chat, store: Any, content: Content
) -> None:
    await seed_shortlist(store)
    await chat.tap("refer:begin")
    await chat.tap("refer:pick:0")
    await chat.press("Done choosing")
    await chat.say("Sam Taylor")
    await chat.say("/start")
    replies = await chat.press("Carry on")
    assert content.knowledge.messages["referral.ask_email"] in text_of(replies)


# Forged, stale and changed choices.


@pytest.mark.parametrize(
    "payload", ["refer:pick:99", "refer:pick:3", "refer:pick:-1", "refer:pick:abc", "refer:pick:"]
)
async def test_a_forged_pick_gets_a_clear_reply_and_the_list_again(
    chat: Chat, store: Any, payload: str
) -> None:
    await seed_shortlist(store)
    await chat.tap("refer:begin")
    replies = await chat.tap(payload)
    assert "no longer works" in text_of(replies)
    assert "refer:pick:0" in payloads(replies)
    assert all(r.status is not Status.ERROR for r in replies)


@pytest.mark.parametrize(
    "payload", ["refer:yes", "refer:withdraw:0", "refer:withdraw:x", "refer:skip", "refer:zzz"]
)
async def test_forged_presses_out_of_turn_store_nothing(chat: Chat, store: Any, payload: str) -> None:
    await seed_shortlist(store)
    replies = await chat.tap(payload)
    assert all(r.status is not Status.ERROR for r in replies)
    assert await store.referrals_for(CHANNEL, USER) == []


async def test_done_with_nothing_chosen_asks_again(chat: Chat, store: Any) -> None:
    await seed_shortlist(store)
    await chat.tap("refer:begin")
    replies = await chat.press("Done choosing")
    assert "at least one provider" in text_of(replies)
    assert "refer:pick:0" in payloads(replies)


async def test_a_provider_removed_by_a_reload_cannot_be_chosen(
    engine: Engine, chat: Chat, store: Any, config: Config, content: Content
) -> None:
    await seed_shortlist(store)
    await chat.tap("refer:begin")
    await chat.tap("refer:pick:0")
    engine.content = ContentHolder(config, without_provider(content, SHORTLISTED[0]))
    listed = await chat.tap("refer:pick:1")
    assert "refer:pick:0" not in payloads(listed)
    gone = await chat.tap("refer:pick:0")
    assert "no longer on our list" in text_of(gone)
    assert "refer:pick:0" not in payloads(gone)
    await chat.press("Done choosing")
    await chat.say("Sam Taylor")
    await chat.say("sam@example.org")
    notice = text_of(await chat.say("skip"))
    assert provider_name(content, SHORTLISTED[0]) not in notice


async def test_a_provider_removed_after_the_notice_needs_consent_again(
    engine: Engine, chat: Chat, store: Any, config: Config, content: Content
) -> None:
    await seed_shortlist(store)
    await choose_two_and_give_contact(chat, content)
    engine.content = ContentHolder(config, without_provider(content, SHORTLISTED[0]))
    again = await chat.press("Yes, share")
    assert await store.referrals_for(CHANNEL, USER) == []
    assert "changed since you saw it" in text_of(again)
    assert provider_name(content, SHORTLISTED[0]) not in text_of(again)
    await chat.press("Yes, share")
    assert [r.provider_id for r in await store.referrals_for(CHANNEL, USER)] == [SHORTLISTED[2]]


# Seeing and withdrawing.


async def test_withdraw_by_button_and_list_with_status(chat: Chat, store: Any, content: Content) -> None:
    await seed_shortlist(store)
    await choose_two_and_give_contact(chat, content)
    await chat.press("Yes, share")
    withdrawn = await chat.press(f"Withdraw: {provider_name(content, SHORTLISTED[2])}")
    assert withdrawn[0].status is Status.CONFIRMED
    statuses = {r.provider_id: r.status for r in await store.referrals_for(CHANNEL, USER)}
    assert statuses == {SHORTLISTED[0]: ReferralStatus.PENDING, SHORTLISTED[2]: ReferralStatus.WITHDRAWN}
    listing = await chat.say("/referrals")
    assert "withdrawn" in text_of(listing) and "waiting to be sent" in text_of(listing)
    assert [b.label for b in listing[0].buttons].count(
        f"Withdraw: {provider_name(content, SHORTLISTED[0])}"
    ) == 1
    assert f"Withdraw: {provider_name(content, SHORTLISTED[2])}" not in [b.label for b in listing[0].buttons]


async def test_withdrawing_a_sent_referral_names_the_provider_and_its_website(
    chat: Chat, store: Any, content: Content
) -> None:
    await seed_shortlist(store)
    await choose_two_and_give_contact(chat, content)
    await chat.press("Yes, share")
    sent = next(r for r in await store.referrals_for(CHANNEL, USER) if r.provider_id == SHORTLISTED[0])
    record = DigestRecord("d1", SHORTLISTED[0], (sent.id,), TODAY, None, 0, None, None)
    await store.start_digest(record)
    await store.finish_digest("d1", TODAY + timedelta(hours=1))
    replies = await chat.press(f"Withdraw: {provider_name(content, SHORTLISTED[0])}")
    provider = content.knowledge.providers[SHORTLISTED[0]]
    assert provider.name in text_of(replies) and provider.website in text_of(replies)
    assert "already sent" in text_of(replies)
    listing = await chat.say("/withdraw")
    assert "sent on 23 November 2026" in text_of(listing)


async def test_withdraw_with_nothing_pending_says_so(chat: Chat) -> None:
    assert "haven't asked" in text_of(await chat.say("/withdraw"))


# The checks on what people type.


BAD_NAMES = [
    ("", "empty"),
    ("   ", "empty"),
    ("Sam 🙂", "characters"),
    ("Sam\x00Taylor", "characters"),
    ("Sam\u202eTaylor", "characters"),
    ("R2D2", "characters"),
    ("'); DROP TABLE referrals;--", "characters"),
    ("x' OR '1'='1", "characters"),
    ("-- .", "no_letters"),
    ("a" * (MAX_NAME + 1), "too_long"),
    ("a" * 10_000, "too_long"),
]
BAD_EMAILS = [
    ("", "empty"),
    ("sam", "format"),
    ("sam@nowhere", "format"),
    ("@example.org", "format"),
    ("sam@@example.org", "format"),
    ("sam..taylor@example.org", "format"),
    ("sam@-example.org", "format"),
    ("sam@example.c0m", "format"),
    ("sam taylor@example.org", "characters"),
    ("sam@exämple.org", "characters"),
    ("📧@example.org", "characters"),
    ("sam\x07@example.org", "characters"),
    ("'; DELETE FROM referrals; --@x.org", "characters"),
    ("a" * 10_000 + "@example.org", "too_long"),
    ("a" * 65 + "@example.org", "format"),
]
BAD_PHONES = [
    ("", "empty"),
    ("12345", "format"),
    ("0770090012", "format"),
    ("077009001234", "format"),
    ("07000 900123", "format"),
    ("09098 790000", "format"),
    ("+1 212 555 0100", "format"),
    ("+33 1 23 45 67 89", "format"),
    ("07700 9OO123", "characters"),
    ("07700 900123 🙂", "characters"),
    ("0770\x00900123", "characters"),
    ("1; DROP TABLE x", "characters"),
    ("0" * 10_000, "too_long"),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Sam Taylor", "Sam Taylor"),
        ("  Mary-Jane   O'Neill ", "Mary-Jane O'Neill"),
        ("Zoë Łukasiewicz", "Zoë Łukasiewicz"),
        ("J. R. R. Tolkien", "J. R. R. Tolkien"),
        ("Siobhán Ní Bhriain", "Siobhán Ní Bhriain"),
    ],
)
def test_names_that_are_accepted(typed: str, expected: str) -> None:
    assert check_name(typed).value == expected


@pytest.mark.parametrize(("typed", "reason"), BAD_NAMES)
def test_names_that_are_refused_with_a_reason(typed: str, reason: str) -> None:
    checked = check_name(typed)
    assert (checked.value, checked.reason, checked.ok) == (None, reason, False)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sam@example.org", "sam@example.org"),
        (" Sam.Taylor+teach@Example.CO.UK ", "Sam.Taylor+teach@example.co.uk"),
        ("o'neill@school-mail.ac.uk", "o'neill@school-mail.ac.uk"),
    ],
)
def test_emails_that_are_accepted(typed: str, expected: str) -> None:
    assert check_email(typed).value == expected


@pytest.mark.parametrize(("typed", "reason"), BAD_EMAILS)
def test_emails_that_are_refused_with_a_reason(typed: str, reason: str) -> None:
    checked = check_email(typed)
    assert (checked.value, checked.reason) == (None, reason)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("07700 900123", "+447700900123"),
        ("07700-900-123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("+44 07700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("(0114) 496 0000", "+441144960000"),
        ("020 7946 0000", "+442079460000"),
        ("0300 123 4567", "+443001234567"),
        ("016977 3456", "+44169773456"),
    ],
)
def test_uk_phone_numbers_are_accepted_and_normalised(typed: str, expected: str) -> None:
    assert check_phone(typed).value == expected


@pytest.mark.parametrize(("typed", "reason"), BAD_PHONES)
def test_phone_numbers_that_are_refused_with_a_reason(typed: str, reason: str) -> None:
    checked = check_phone(typed)
    assert (checked.value, checked.reason) == (None, reason)


def test_every_refusal_reason_has_words_for_the_person(content: Content) -> None:
    for kind, cases in (("name", BAD_NAMES), ("email", BAD_EMAILS), ("phone", BAD_PHONES)):
        for _, reason in cases:
            assert f"referral.bad_{kind}_{reason}" in content.knowledge.messages


def test_every_stated_preference_can_be_shown(content: Content) -> None:
    messages = content.knowledge.messages
    assert {f"referral.pref_{f.name}" for f in fields(Profile)} <= set(messages)
    choices = [("phase", p.value) for p in Phase] + [("degree", d) for d in DEGREES]
    choices += (
        [("gcse", g) for g in GCSE_ANSWERS] + [("mode", m) for m in MODES] + [("start", s) for s in STARTS]
    )
    assert {f"referral.{kind}_{value}" for kind, value in choices} <= set(messages)


@pytest.mark.parametrize("check", [check_name, check_email, check_phone])
@pytest.mark.parametrize("typed", ["\U0001f600" * 5000, "\x1b[31m", "\ud800", "null", "%s%s%s", "\t\n\r"])
def test_odd_input_is_refused_or_accepted_never_raised(check: Any, typed: str) -> None:
    checked = check(typed)
    assert (checked.value is None) == (checked.reason is not None)


@pytest.mark.parametrize("channel", ["terminal", "telegram", "web"])
async def test_consent_needs_the_button_or_its_exact_label(
    engine: Engine, store: Any, content: Content, channel: str
) -> None:
    shortlist = {"providers": SHORTLISTED, "routes": ["pgce-university"], "made_at": TODAY.isoformat()}
    await store.save_session(Session(channel, USER, data={"profile": PROFILE, "shortlist": shortlist}))
    chat = Chat(engine, user_id=USER, channel=channel)
    notice = await choose_two_and_give_contact(chat, content)
    label = next(b.label for b in notice[-1].buttons if b.payload == "refer:yes")
    for typed in ("1", "yes", label.lower(), f"{label}.", label.upper()):
        replies = await chat.say(typed)
        assert await store.referrals_for(channel, USER) == [], f"{typed!r} consented"
        if replies[-1].status is not Status.CLARIFICATION:  # the terminal's "1" is "No, don't share"
            assert channel == "terminal" and typed == "1" and replies[-1].status is Status.INFO
            await choose_two_and_give_contact(chat, content)
    confirmed = await chat.say(label)
    assert confirmed[-1].status is Status.CONFIRMED
    assert len(await store.referrals_for(channel, USER)) == 2


def with_messages(content: Content, **changed: str) -> Content:
    """The same content as after a reload of messages files with some texts changed."""
    messages = {**content.knowledge.messages, **{k.replace("__", "."): v for k, v in changed.items()}}
    knowledge = replace(content.knowledge, messages=MappingProxyType(messages))
    return replace(content, knowledge=knowledge)


@pytest.mark.parametrize(
    "broken",
    [
        {"referral__consent": "We will send {shared} to {provider_list}. Agree?"},
        {"referral__consent_provider": "• {provider_name}"},
        {"referral__shared_email": "• your email: {emial}"},
    ],
)
async def test_a_notice_not_written_in_full_asks_for_no_consent(
    engine: Engine, chat: Chat, store: Any, config: Config, content: Content, broken: dict[str, str]
) -> None:
    engine.content = ContentHolder(config, with_messages(content, **broken))
    await seed_shortlist(store)
    shown = await choose_two_and_give_contact(chat, content)
    assert shown[-1].status is Status.ERROR
    assert "refer:yes" not in payloads(shown) and "[missing" not in text_of(shown)
    await chat.tap("refer:yes")
    assert await store.referrals_for(CHANNEL, USER) == []


async def test_the_consent_keeps_the_version_of_the_wording_shown(
    engine: Engine, chat: Chat, store: Any, config: Config, content: Content
) -> None:
    await seed_shortlist(store)
    await choose_two_and_give_contact(chat, content)
    reworded = with_messages(content, referral__consent=content.knowledge.messages["referral.consent"] + " ")
    engine.content = ContentHolder(config, reworded)
    await chat.press("Yes, share")
    first = {r.consent_version for r in await store.referrals_for(CHANNEL, USER)}
    await seed_shortlist(store, user_id="second")
    other = Chat(engine, user_id="second", channel=CHANNEL)
    await choose_two_and_give_contact(other, content)
    await other.press("Yes, share")
    second = {r.consent_version for r in await store.referrals_for(CHANNEL, "second")}
    assert len(first) == 1 and len(second) == 1 and first != second, "the wording each person saw"
    assert all(v.startswith(f"{config.privacy.consent_version}+") for v in first | second)
