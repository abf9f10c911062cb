"""Two `careers-bot web` processes on one PostgreSQL database, serving the same people turn about."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from webserver import ROOT, WebServer

from bot.config import PASSWORD_VARIABLE
from bot.storage.postgres import PostgresStore
from tests.storage.pg import PASSWORD, PASSWORD_USER, Cluster

PEOPLE = 6
TURNS = 10  # each person's turns, sent one after another, to the two workers in turn
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


@pytest.fixture
def database(pg_cluster: Cluster) -> str:
    """A new database, reached as a role that must give its password."""
    return pg_cluster.url(pg_cluster.new_database(), user=PASSWORD_USER)


@pytest.fixture
def workers(tmp_path: Path, database: str) -> Iterator[list[WebServer]]:
    """Two web servers on the same database, with the same cookie key, as behind a load balancer."""
    limits = {"per_cookie_per_minute": 1000, "per_ip_per_minute": 10_000}
    servers: list[WebServer] = []
    try:
        for name in ("a", "b"):
            servers.append(
                WebServer(tmp_path / name, database=database, environ={PASSWORD_VARIABLE: PASSWORD}, **limits)
            )
        yield servers
    finally:
        for server in servers:
            server.stop()


class Person:
    """One browser: one cookie, sent to whichever worker the load balancer picks."""

    def __init__(self, number: int, workers: list[WebServer]) -> None:
        self.tag = f"p{number}"
        self.urls = [w.url for w in workers]
        self.http = httpx.Client(timeout=60.0)
        opened = self.http.get(f"{self.urls[0]}/api/chat")
        assert opened.status_code == 200, opened.text
        self.csrf = opened.json()["csrf"]

    def say(self, worker: int, text: str) -> None:
        """Sends text to one worker and checks it was answered."""
        response = self.http.post(
            f"{self.urls[worker]}/api/chat",
            json={"text": text},
            headers={"X-CSRF-Token": self.csrf},
        )
        assert response.status_code == 200, response.text
        assert response.json()["replies"], "every turn gets a reply"


def staff_command(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs a staff command on the workers' database, as a cron job would while they serve."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, PASSWORD_VARIABLE: PASSWORD},
        timeout=120,
        check=False,
    )


def test_two_workers_keep_every_persons_turns_whole_and_in_order(
    workers: list[WebServer], database: str, tmp_path: Path
) -> None:
    people = [Person(n, workers) for n in range(PEOPLE)]
    halfway = threading.Barrier(PEOPLE + 1)

    def converse(person: Person) -> list[str]:
        sent = []
        for k in range(TURNS):
            text = f"{person.tag} turn {k}: how much is the physics bursary"
            person.say(k % 2, text)
            sent.append(text)
            if k == TURNS // 2:
                halfway.wait()
        # Two messages at once, one to each worker: both are handled, one after the other.
        together = [f"{person.tag} together {w}: is the bursary taxed" for w in (0, 1)]
        with ThreadPoolExecutor(2) as pair:
            list(pair.map(person.say, (0, 1), together))
        return sent + together

    with ThreadPoolExecutor(PEOPLE) as pool:
        running = [pool.submit(converse, p) for p in people]
        halfway.wait()
        # The purge and a digest run from the same database while both workers serve.
        config = workers[0].config
        purged = staff_command(config, "purge")
        digested = staff_command(config, "digest", "--dry-run", str(tmp_path / "previews"))
        sent = {p.tag: f.result() for p, f in zip(people, running, strict=True)}
    for person in people:
        person.http.close()
    assert purged.returncode == 0, purged.stderr
    assert digested.returncode == 0, digested.stderr
    for server in workers:
        # uvicorn ends by raising the SIGTERM it handled again, once it has shut down cleanly.
        assert server.stop() in (0, -signal.SIGTERM), server.output()
        assert "Traceback" not in server.output()

    logged = asyncio.run(turn_log(database))
    by_person: dict[str, list[str]] = defaultdict(list)
    users: dict[str, set[str]] = defaultdict(set)
    for user_id, text in logged:
        tag = text.split(" ", 1)[0]
        by_person[tag].append(text)
        users[tag].add(user_id)
    assert len(logged) == PEOPLE * (TURNS + 2), "no turn lost or logged twice"
    for tag, texts in sent.items():
        assert len(users[tag]) == 1, "one person, whichever worker served them"
        in_order, together = texts[:TURNS], texts[TURNS:]
        assert by_person[tag][:TURNS] == in_order, f"{tag}'s turns are logged in the order sent"
        assert sorted(by_person[tag][TURNS:]) == sorted(together)


async def turn_log(database: str) -> list[tuple[str, str]]:
    """Every logged web turn as (user id, text), in the order they were saved."""
    store = PostgresStore(database, password=PASSWORD)
    await store.open()
    try:
        turns = await store.turns_between(*EVER)
    finally:
        await store.close()
    # The greeting each browser got on opening the chat is a turn too, but not one of those sent.
    return [(t.user_id, t.text) for t in turns if t.channel == "web" and t.text.startswith("p")]
