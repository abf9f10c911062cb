"""Many simulated people talking to the real engine at once, on a SQLite store already holding many."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.latency import Spread, spread
from bench.seeding import SEEDED_CHANNEL, seed_sessions, seeded_user
from bench.workload import misspell
from bot.app import build_journeys, conversation_store
from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.core.types import Reply, Status, Turn
from bot.storage.sqlite import SqliteStore

# A fixed date keeps the academic year, and so every answer, the same from run to run.
BENCH_DATE = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
# How often a person presses a button shown to them rather than typing, and how often they mistype.
PRESS_SHARE = 0.35
SLIP_SHARE = 0.3
START_SHARE = 0.3
WARM_UP_TURNS = 20
# Each simulated person has a conversation this long, then someone else takes their place.
CONVERSATION_TURNS = 8


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one level of concurrency achieved."""

    users: int
    turns: int
    seconds: float
    cpu_seconds: float  # processor time of the whole process, the database thread included
    latency: Spread
    errors: int  # turns answered with the error reply

    @property
    def turns_per_second(self) -> float:
        """Turns handled per second of wall-clock time."""
        return self.turns / self.seconds if self.seconds else 0.0

    @property
    def turns_per_cpu_second(self) -> float:
        """Turns handled per second of processor time: what one core would manage if nothing else ran."""
        return self.turns / self.cpu_seconds if self.cpu_seconds else 0.0


@dataclass(frozen=True, slots=True)
class EngineReport:
    """The seeded store and the result at each level of concurrency."""

    seeded: int
    seed_seconds: float
    levels: tuple[LoadResult, ...]


@dataclass(slots=True)
class _Person:
    user_id: str
    rng: random.Random
    last: list[Reply] = field(default_factory=list)


def build_engine(config: Config, content: Content, store: SqliteStore) -> Engine:
    """Returns the real engine with every journey, on a fixed clock."""
    return Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(BENCH_DATE))


def next_turn(person: _Person, questions: Sequence[str], number: int) -> Turn:
    """Returns what the person does next: open the bot, press a shown button, or ask something."""
    rng = person.rng
    if number == 0 and rng.random() < START_SHARE:
        return Turn(channel=SEEDED_CHANNEL, user_id=person.user_id, text="/start")
    shown = [b.payload for r in person.last for b in r.buttons]
    if shown and rng.random() < PRESS_SHARE:
        return Turn(channel=SEEDED_CHANNEL, user_id=person.user_id, payload=rng.choice(shown))
    text = rng.choice(questions)
    if rng.random() < SLIP_SHARE:
        text = misspell(text, rng)
    return Turn(channel=SEEDED_CHANNEL, user_id=person.user_id, text=text)


async def _talk(
    engine: Engine, people: Sequence[_Person], questions: Sequence[str], turns: int
) -> tuple[list[float], int]:
    """One line of conversations: each person in turn has a short conversation, until turns are used."""
    took: list[float] = []
    failed = 0
    for number in range(turns):
        person = people[(number // CONVERSATION_TURNS) % len(people)]
        turn = next_turn(person, questions, number % CONVERSATION_TURNS)
        started = time.perf_counter()
        person.last = await engine.handle(turn)
        took.append(time.perf_counter() - started)
        failed += any(reply.status is Status.ERROR for reply in person.last)
    return took, failed


def _people(count: int, seeded: int, seed: int) -> list[_Person]:
    """Half the people come back (their session is stored already); the rest are new."""
    rng = random.Random(seed)
    people = []
    for number in range(count):
        returning = seeded and number % 2 == 0
        user_id = seeded_user(rng.randrange(seeded)) if returning else f"new-{seed}-{number}"
        people.append(_Person(user_id, random.Random(seed * 100_003 + number)))
    return people


async def run_level(
    engine: Engine, questions: Sequence[str], users: int, turns: int, seeded: int, seed: int
) -> LoadResult:
    """Keeps users conversations going at once, each turn sent as soon as the last is answered."""
    per_line = max(1, -(-turns // users))
    conversations = -(-per_line // CONVERSATION_TURNS)
    people = _people(users * conversations, seeded, seed)
    lines = [people[n * conversations : (n + 1) * conversations] for n in range(users)]
    started, cpu = time.perf_counter(), time.process_time()
    results = await asyncio.gather(*(_talk(engine, line, questions, per_line) for line in lines))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    took = [t for line, _ in results for t in line]
    failed = sum(count for _, count in results)
    return LoadResult(users, len(took), seconds, cpu_seconds, spread(took), failed)


async def engine_benchmark(
    config: Config,
    content: Content,
    folder: Path,
    questions: Sequence[str],
    sessions: int,
    levels: Sequence[int],
    turns: int,
) -> EngineReport:
    """Seeds a SQLite store in folder, then measures the engine at each number of simultaneous people."""
    store = conversation_store(folder / "bench.sqlite3")
    await store.open()
    try:
        seed_seconds = await seed_sessions(store, sessions, BENCH_DATE)
        engine = build_engine(config, content, store)
        await run_level(engine, questions, 1, WARM_UP_TURNS, sessions, seed=0)
        results = [
            await run_level(engine, questions, users, turns, sessions, seed=n + 1)
            for n, users in enumerate(levels)
        ]
    finally:
        await store.close()
    return EngineReport(seeded=sessions, seed_seconds=seed_seconds, levels=tuple(results))
