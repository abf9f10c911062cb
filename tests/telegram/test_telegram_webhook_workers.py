"""Two `careers-bot telegram` processes in webhook mode on one PostgreSQL database, behind one address."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml
from botapi import TOKEN, WAIT, BotApiServer, Fault, Person

from bot.config import PASSWORD_VARIABLE
from bot.storage.postgres import PostgresStore
from tests.ports import free_port
from tests.storage.pg import PASSWORD, PASSWORD_USER, Cluster

ROOT = Path(__file__).resolve().parents[2]
SECRET = "two-workers_secret-token"
PUBLIC_URL = "https://bot.example.org/telegram"
PEOPLE = 5
TURNS = 8  # each person's updates, posted one after another, to the two workers in turn
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
SENDS = ("sendMessage", "sendDocument")


def write_config(folder: Path, server: BotApiServer, database: str, port: int) -> Path:
    """The project's config.yaml for one worker: webhook mode on its own port, the shared database."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["knowledge_dir"] = str(ROOT / "knowledge")
    data["database"] = database
    data["reload"]["watch"] = False
    hook = {"listen": "127.0.0.1", "port": port, "path": "/telegram", "public_url": PUBLIC_URL}
    data["telegram"].update(api_base_url=server.base_url, mode="webhook", webhook=hook)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def output(log: Path) -> str:
    """What a worker printed."""
    return log.read_text(encoding="utf-8", errors="replace")


async def launch(config: Path, port: int, log: Path) -> asyncio.subprocess.Process:
    """Starts `python -m bot telegram` and waits until its webhook listener takes connections."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        PASSWORD_VARIABLE: PASSWORD,
    }
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "--config", str(config), "telegram"),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    for _ in range(int(WAIT * 20)):
        if process.returncode is not None:
            raise AssertionError(f"the worker exited with {process.returncode}: {output(log)}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return process
    raise AssertionError(f"the worker never listened on port {port}: {output(log)}")


async def post(client: httpx.AsyncClient, port: int, update: dict[str, object]) -> int:
    """Posts one update to one worker as Telegram would, and returns the status it answered."""
    response = await client.post(
        f"http://127.0.0.1:{port}/telegram",
        content=json.dumps(update),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    return response.status_code


async def test_two_webhook_workers_answer_every_update_once_and_in_order(
    botapi: BotApiServer, pg_cluster: Cluster, tmp_path: Path
) -> None:
    database = pg_cluster.url(pg_cluster.new_database(), user=PASSWORD_USER)
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
    workers = []
    for n in range(2):
        workers.append(
            await launch(write_config(tmp_path / f"w{n}", botapi, database, ports[n]), ports[n], logs[n])
        )
    people = [Person(700 + n, f"P{n}") for n in range(PEOPLE)]
    # Sends that fail or must wait leave replies in the shared outbox, for whichever worker claims them.
    botapi.plan(Fault("sendMessage", times=3, status=503, description="Service Unavailable"))
    botapi.plan(Fault("sendMessage", times=1, status=429, retry_after=1, chat_id=people[1].user_id))
    botapi.plan(Fault("sendMessage", times=2, delay=1.0, chat_id=people[2].user_id))
    statuses: list[int] = []

    async def converse(client: httpx.AsyncClient, number: int, person: Person) -> list[str]:
        sent = []
        for k in range(TURNS):
            text = f"p{number} turn {k}: how much is the physics bursary"
            update = {"update_id": 10_000 + number * 100 + k, **person.text(text)}
            statuses.append(await post(client, ports[k % 2], update))
            sent.append(text)
            if k == TURNS // 2:
                # Telegram posts again when an answer is slow; the other worker must not answer it twice.
                statuses.append(await post(client, ports[(k + 1) % 2], update))
        return sent

    try:
        async with httpx.AsyncClient(timeout=WAIT * 4) as client:
            sent = await asyncio.gather(*(converse(client, n, p) for n, p in enumerate(people)))
        store = PostgresStore(database, password=PASSWORD)
        await store.open()
        try:
            for _ in range(int(WAIT * 20)):
                if not (await store.outbox_counts("telegram")).get("pending"):
                    break
                await asyncio.sleep(0.1)
            counts = await store.outbox_counts("telegram")
            turns = await store.turns_between(*EVER)
        finally:
            await store.close()
    finally:
        codes = []
        for process in workers:
            process.send_signal(signal.SIGTERM)
            codes.append(await asyncio.wait_for(process.wait(), WAIT * 2))

    assert set(statuses) == {200}, statuses
    logged: dict[str, list[str]] = defaultdict(list)
    for turn in turns:
        if turn.channel == "telegram":
            logged[turn.user_id].append(turn.text)
    for person, texts in zip(people, sent, strict=True):
        assert logged[str(person.user_id)] == texts, "each update is one turn, kept in the order posted"
    assert sum(len(t) for t in logged.values()) == PEOPLE * TURNS, "no turn lost, none doubled"
    delivered = [call for method in SENDS for call in botapi.called(method, 200)]
    assert counts.get("pending", 0) == 0, counts
    assert counts.get("sent", 0) == len(delivered), "each reply was sent by one worker, once"
    for person in people:
        assert len(botapi.to_chat(person.user_id)) >= TURNS, "every turn got its reply"
    assert codes == [0, 0], [output(log) for log in logs]
    for log in logs:
        assert "Traceback" not in output(log)
