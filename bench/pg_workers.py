"""Turns a second with one and two `careers-bot web` workers on PostgreSQL, and one on SQLite, over loopback.

Each worker is its own `python -m bot web` process. A throwaway PostgreSQL cluster is made with initdb on
loopback (durable settings: fsync and synchronous commit on, as a server would run), with a new database
for each run; SQLite gets a new file. Each simulated browser sends its messages one after another, each
after the reply to the one before (flat out), and message k of a browser goes to worker k mod N, as a load
balancer without sticky sessions would send them, so one person's turns land on both workers. SQLite is
measured with one worker only: a file has one writer, and its worker keeps sessions in memory.

Usage: python bench/pg_workers.py [--sessions 40] [--messages 6] [--timeout 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, the bench package sits beside this file's folder
    sys.path.insert(0, str(ROOT))

from bench.latency import Spread, spread  # noqa: E402
from bench.web_load import Connection, Gate, Tally, scripts, start_server  # noqa: E402
from tests.storage.pg import PASSWORD, PASSWORD_USER, find_bin_dir, start_cluster  # noqa: E402

PASSWORD_VARIABLE = "CAREERS_BOT_DB_PASSWORD"


@dataclass(frozen=True, slots=True)
class Run:
    """One backend and number of workers, and what it achieved."""

    backend: str
    workers: int
    answered: int
    failures: int
    seconds: float
    latency: Spread

    @property
    def turns_per_second(self) -> float:
        """Answered turns per second of wall-clock time."""
        return self.answered / self.seconds if self.seconds else 0.0


async def browser(ports: Sequence[int], script: Sequence[str], first: int, tally: Tally, gate: Gate) -> None:
    """One person: loads the chat once, then sends message k to worker (first + k) mod N."""
    connections: list[Connection] = []
    arrived = False
    try:
        connections = [await Connection.open(port) for port in ports]
        _, body = await connections[0].request("GET", "/api/chat")
        for other in connections[1:]:  # the same cookie, whichever worker answers
            other.cookie, other.csrf = connections[0].cookie, json.loads(body)["csrf"]
        connections[0].csrf = json.loads(body)["csrf"]
        arrived = True
        gate.arrived()
        await gate.go.wait()
        for k, text in enumerate(script):
            sent = time.perf_counter()
            connection = connections[(first + k) % len(connections)]
            status, body = await connection.request("POST", "/api/chat", json.dumps({"text": text}).encode())
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if status == 200 and json.loads(body)["replies"]:
                tally.latencies.append(time.perf_counter() - sent)
            else:
                tally.failures += 1
    except (OSError, ValueError, KeyError, IndexError, asyncio.IncompleteReadError):
        tally.failures += 1
    finally:
        if not arrived:
            gate.arrived()
        for connection in connections:
            connection.close()


async def drive(ports: Sequence[int], sessions: int, messages: int, limit: float) -> tuple[Tally, float]:
    """Runs every browser at once; returns the tally and the seconds the measured messages took."""
    tally, gate, said = Tally(), Gate(sessions), scripts(sessions, messages)
    tasks = [asyncio.ensure_future(browser(ports, said[s], s, tally, gate)) for s in range(sessions)]
    await asyncio.wait_for(gate.loaded.wait(), limit)
    started = time.perf_counter()
    gate.go.set()
    _, pending = await asyncio.wait(tasks, timeout=limit)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    tally.failures += len(pending)
    return tally, time.perf_counter() - started


def measure(
    backend: str, workers: int, database: str | None, folder: Path, sessions: int, messages: int, limit: float
) -> Run:
    """Starts the workers on the database, runs the load through them, stops them, and returns the figures."""
    environ = {PASSWORD_VARIABLE: PASSWORD}
    servers = [start_server(folder / f"worker-{n}", database, environ) for n in range(workers)]
    try:
        tally, seconds = asyncio.run(drive([port for _, port in servers], sessions, messages, limit))
    finally:
        for process, _ in servers:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return Run(backend, workers, len(tally.latencies), tally.failures, seconds, spread(tally.latencies))


def measure_all(sessions: int, messages: int, limit: float) -> list[Run]:
    """Measures SQLite with one worker and PostgreSQL with one and two, each on a new database."""
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="careers-bot-pg-bench-") as folder:
        base = Path(folder)
        runs.append(measure("SQLite", 1, None, base / "sqlite", sessions, messages, limit))
        cluster = start_cluster(durable=True)
        try:
            for workers in (1, 2):
                url = cluster.url(cluster.new_database(), user=PASSWORD_USER)
                runs.append(
                    measure("PostgreSQL", workers, url, base / f"pg-{workers}", sessions, messages, limit)
                )
        finally:
            cluster.stop()
    return runs


def table(runs: Sequence[Run], load: str) -> list[str]:
    """Returns the runs as a Markdown table, with the scaling ratio of two PostgreSQL workers to one."""
    lines = [
        "| Store | Workers | Turns | Failures | Turns/s | p50 ms | p99 ms |",
        "|-------|---------|-------|----------|---------|--------|--------|",
    ]
    for run in runs:
        lines.append(
            f"| {run.backend} | {run.workers} | {run.answered} | {run.failures} | {run.turns_per_second:.1f} "
            f"| {run.latency.p50_ms:.0f} | {run.latency.p99_ms:.0f} |"
        )
    one = next((r for r in runs if r.backend == "PostgreSQL" and r.workers == 1), None)
    two = next((r for r in runs if r.backend == "PostgreSQL" and r.workers == 2), None)
    if one and two and one.turns_per_second:
        lines.append("")
        lines.append(
            f"Two PostgreSQL workers against one: {two.turns_per_second / one.turns_per_second:.2f}x"
        )
    lines.append(f"Processors: {os.cpu_count()}; load average before the run: {load}")
    return lines


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the three measurements and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40, help="browsers chatting at once")
    parser.add_argument("--messages", type=int, default=6, help="messages each browser sends")
    parser.add_argument("--timeout", type=float, default=300.0, help="stop each run after this many seconds")
    args = parser.parse_args(argv)
    if not (1 <= args.sessions <= 1000 and 1 <= args.messages <= 50 and 0 < args.timeout <= 900):
        parser.error("keep to 1-1000 sessions, 1-50 messages and a timeout up to 900 s")
    if find_bin_dir() is None:
        print("pg_workers: PostgreSQL (initdb, pg_ctl, postgres) is not installed", file=sys.stderr)
        return 2
    load = _load()
    runs = measure_all(args.sessions, args.messages, args.timeout)
    print(f"{args.sessions} browsers x {args.messages} messages each, flat out, per run")
    print("\n".join(table(runs, load)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
