"""Random conversations of a few people through the real engine on a SQLite file.

Whatever they type or press, every turn is answered without the engine logging a failure, and every
session it stored reads back from a store opened afresh on the same file.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_journeys, conversation_store
from bot.config import AdminConfig, Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.core.routing import MAX_PAYLOAD_BYTES, clean_field
from bot.core.types import Reply, Turn
from bot.storage.sqlite import SqliteStore
from tests.conftest import TODAY

JOURNEYS = build_journeys()
# Every command some journey answers, and some no journey does.
COMMANDS = sorted({c for journey in JOURNEYS for c in journey.commands} | {"quit", "nosuch", "START"})
CHANNELS = ("telegram", "web", "terminal", "test")
STAFF = "staff"  # a telegram admin, so the staff commands run too (all but /reload, which rereads the disk)
# What people really write: questions, facts about themselves, and the words of the steps they are in.
WORDS = (
    "how much is the physics bursary",
    "can I train with a 2:2 in history",
    "I'm 42 with two kids and a 2:2 in biology, I live in Leeds",
    "I have a first in physics and want to teach secondary near Brighton",
    "I'm 23 and live in Manchester",
    "I don't have a degree",
    "maths",
    "secondary",
    "Brighton",
    "BN1",
    "yes",
    "no",
    "skip",
    "back",
    "1",
    "2",
    "3",
    "0",
    "99",
    "delete my data",
    "Share my details",
)

any_char = st.characters(exclude_categories=())  # lone surrogates and control characters included
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(any_char, max_size=40),
    st.text(st.characters(categories=["So", "Sk", "Cc", "Cf", "Zs"]), max_size=20),  # emoji, controls
    st.just(""),
)
text = st.one_of(st.sampled_from(WORDS), odd_text)
command = st.builds(
    lambda name, args: f"/{name} {args}".rstrip(), st.sampled_from(COMMANDS), st.one_of(st.just(""), text)
)
payload_chars = st.characters(codec="ascii", categories=["L", "N"], include_characters=":_-.")
forged = st.one_of(
    st.text(any_char, max_size=80),
    st.builds(
        lambda journey, action: f"{journey}:{action}",
        st.sampled_from(sorted(j.name for j in JOURNEYS)),
        st.text(payload_chars, max_size=70),
    ),
)


@dataclass(frozen=True, slots=True)
class Act:
    """One thing one of the people does: kind is say, press, type_label, forge or link."""

    person: int
    kind: str
    value: str = ""
    index: int = 0
    times: int = 1  # typed text is value said this many times over: huge messages, shown short


# Most acts are what people do (their words, a command, a button shown to them), so conversations get deep
# into the journeys; the rest is odd input, forged buttons and start links.
plain = st.sampled_from([*WORDS, *(f"/{name}" for name in COMMANDS)])
odd = st.one_of(odd_text, command)
who_acts = st.integers(0, 3)
acts = st.one_of(
    st.builds(Act, who_acts, st.just("say"), plain),
    st.builds(Act, who_acts, st.just("press"), index=st.integers(0, 20)),
    st.builds(Act, who_acts, st.just("say"), plain),
    st.builds(Act, who_acts, st.just("press"), index=st.integers(0, 20)),
    st.builds(Act, who_acts, st.just("type_label"), index=st.integers(0, 20)),
    st.builds(Act, who_acts, st.just("say"), odd),
    st.builds(
        Act, who_acts, st.just("say"), st.text(any_char, min_size=1, max_size=4), times=st.integers(1, 9000)
    ),
    st.builds(Act, who_acts, st.just("forge"), forged),
    st.builds(Act, who_acts, st.just("link"), st.one_of(text, st.text(payload_chars, max_size=70))),
)
people = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(CHANNELS), st.text(any_char, max_size=10)),
        st.one_of(st.sampled_from(("ann", "bob", STAFF, "1", "")), st.text(any_char, max_size=12)),
    ),
    min_size=1,
    max_size=3,
)


class Failures(logging.Handler):
    """Keeps every record at ERROR or above, and every warning of the store."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keeps the record if it tells of a failure."""
        if record.levelno >= logging.ERROR or record.name.startswith("bot.storage"):
            self.records.append(record)


@contextmanager
def failures_logged() -> Iterator[Failures]:
    """Collects failures logged by the bot while the block runs."""
    handler, logger = Failures(), logging.getLogger("bot")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def turn_for(act: Act, channel: str, user_id: str, last: list[Reply]) -> Turn:
    """Returns the turn the act makes, pressing or typing one of the buttons last shown when there are any."""
    numbered = channel == "terminal"
    shown = [button for reply in last for button in reply.buttons]
    if act.kind in ("press", "type_label") and shown:
        button = shown[act.index % len(shown)]
        if act.kind == "press":
            return Turn(channel, user_id, payload=button.payload)
        return Turn(channel, user_id, text=button.label, numbered=numbered)
    if act.kind == "forge":
        return Turn(channel, user_id, payload=act.value)
    if act.kind == "link":
        return Turn(channel, user_id, text="/start", start_payload=act.value)
    return Turn(channel, user_id, text=act.value * act.times, numbered=numbered)


async def play(
    config: Config, content: Content, path: Path, who: list[tuple[str, str]], script: list[Act]
) -> None:
    """Plays the script through the engine, checking each turn, then reads every session back."""
    clock = FixedClock(TODAY)
    store = conversation_store(path)
    await store.open()
    last: dict[int, list[Reply]] = {}
    try:
        engine = Engine(config, ContentHolder(config, content), store, JOURNEYS, clock)
        for act in script:
            number = act.person % len(who)
            channel, user_id = who[number]
            turn = turn_for(act, channel, user_id, last.get(number, []))
            if (channel, user_id) == ("telegram", STAFF) and turn.text.casefold().startswith("/reload"):
                turn = replace(turn, text="/stats")
            clock.at += timedelta(minutes=1)
            replies = await engine.handle(turn)
            assert replies, f"no reply to {turn!r}"
            for reply in replies:
                assert reply.text.strip(), f"an empty reply to {turn!r}"
                assert all(len(b.payload.encode()) <= MAX_PAYLOAD_BYTES for b in reply.buttons)
            last[number] = replies
    finally:
        await store.close()
    fresh = SqliteStore(path)
    await fresh.open()
    try:
        for channel, user_id in who:
            await fresh.get_session(clean_field(channel), clean_field(user_id))
    finally:
        await fresh.close()


@settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(who=people, script=st.lists(acts, min_size=6, max_size=30))
def test_random_conversations_are_answered_and_stored_readably(
    config: Config, content: Content, who: list[tuple[str, str]], script: list[Act]
) -> None:
    config = replace(config, admins=AdminConfig({"telegram": frozenset({STAFF})}))
    with tempfile.TemporaryDirectory(prefix="careers-bot-fuzz-") as folder, failures_logged() as failures:
        asyncio.run(play(config, content, Path(folder) / "bot.sqlite3", who, script))
    assert not failures.records, [f"{r.name}: {r.getMessage()}" for r in failures.records]
