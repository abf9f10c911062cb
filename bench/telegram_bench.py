"""Telegram channel load: many people chatting at once through a loopback Bot API server.

Each simulated person sends a short scripted conversation, waiting for the bot's replies before
typing the next message, while all of them run at the same time. The bot runs in this process,
long-polling the loopback server over HTTP, with the SQLite store in a temporary folder (or the
memory store). The server enforces Telegram's flood limit, answering 429 to any send beyond 30 in
a rolling second, so the figures show how close the bot's own pacing comes to the limit without
crossing it.

Usage: python bench/telegram_bench.py [--users 200] [--messages 5] [--store sqlite|memory]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "tests" / "telegram"):  # run as a script: the project and the loopback server
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from botapi import TOKEN, BotApiServer, Person  # noqa: E402

from bot.app import open_app  # noqa: E402
from bot.channels.telegram import CHANNEL, build_channel, split_text  # noqa: E402
from bot.config import Config, load_config  # noqa: E402
from bot.core.types import Turn  # noqa: E402
from bot.storage.memory import MemoryStore  # noqa: E402

SCRIPT = (
    "/start",
    "how much is the physics bursary",
    "can I train to teach with a 2:2 degree",
    "what is a SCITT and how is it different from a PGCE",
    "/menu",
    "do I need GCSE maths to teach primary",
    "/topics",
)
WAIT = 300.0


def percentile(seconds: Sequence[float], share: float) -> float:
    """Returns the nearest-rank percentile of durations, in milliseconds."""
    ordered = sorted(seconds)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1] * 1000


async def reply_counts(config: Config, script: Sequence[str]) -> list[int]:
    """How many Telegram messages each scripted turn produces, from a private engine run."""
    counts = []
    async with open_app(config, store=MemoryStore()) as app:
        for text in script:
            replies = await app.engine.handle(Turn(channel=CHANNEL, user_id="reference", text=text))
            counts.append(sum(len(split_text(r.text)) + (r.attachment is not None) for r in replies))
    return counts


async def converse(
    server: BotApiServer, person: Person, script: Sequence[str], counts: list[int]
) -> list[float]:
    """Sends the script, each message after the replies to the one before; returns reply latencies."""
    latencies = []
    expected = 0
    for text, count in zip(script, counts, strict=True):
        expected += count
        started = time.perf_counter()
        await server.push(person.text(text))
        await server.wait_for_messages(person.user_id, expected, within=WAIT)
        latencies.append(time.perf_counter() - started)
    return latencies


async def bench(users: int, messages: int, store: str) -> None:
    """Runs the load and prints throughput, latency and how many sends Telegram would have refused."""
    server = BotApiServer(flood_limit=True)
    await server.start()
    base = load_config()
    config = replace(base, telegram=replace(base.telegram, token=TOKEN, api_base_url=server.base_url))
    script = [SCRIPT[n % len(SCRIPT)] for n in range(messages)]
    counts = await reply_counts(config, script)
    with tempfile.TemporaryDirectory() as folder:
        chosen = MemoryStore() if store == "memory" else None
        async with open_app(config, database=Path(folder) / "bench.sqlite3", store=chosen) as app:
            stop = asyncio.Event()
            task = asyncio.create_task(build_channel(app).run(config.telegram, stop))
            await server.wait_for(lambda: "getUpdates" in server.arrived, WAIT)
            started = time.perf_counter()
            people = [Person(10_000 + n, f"Person {n}") for n in range(users)]
            runs = await asyncio.gather(*(converse(server, p, script, counts) for p in people))
            elapsed = time.perf_counter() - started
            stop.set()
            await task
    await server.stop()
    latencies = [seconds for run in runs for seconds in run]
    sent = len(server.called("sendMessage", 200))
    refused = len([c for c in server.calls if c.status == 429])
    print(f"telegram channel: {users} people x {messages} messages, store={store}, flood limit 30/s enforced")
    print(
        f"  updates handled   {len(latencies)} in {elapsed:.1f} s = {len(latencies) / elapsed:.1f} updates/s"
    )
    print(f"  messages sent     {sent} = {sent / elapsed:.1f} messages/s (target >= 29)")
    print(f"  429 answers       {refused} (target 0)")
    print(f"  busiest second    {server.most_sends_in(1.0)} sends (limit 30)")
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(f"  reply latency     p50 {p50:.0f} ms, p99 {p99:.0f} ms")


def main() -> None:
    """Parses the options and runs the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(bench(args.users, args.messages, args.store))


if __name__ == "__main__":
    main()
