"""`careers-bot telegram` as a real process: start-up checks, a crash and a restart mid-conversation."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
import yaml
from botapi import TOKEN, WAIT, BotApiServer, Person

from bot.cli import main
from bot.storage.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]


def write_config(folder: Path, server: BotApiServer | None, **telegram: object) -> Path:
    """Copies the project's config.yaml, pointed at the real knowledge, a new database and the server."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["knowledge_dir"] = str(ROOT / "knowledge")
    data["database"] = str(folder / "bot.sqlite3")
    data["reload"]["watch"] = False
    if server is not None:
        data["telegram"]["api_base_url"] = server.base_url
    data["telegram"].update(telegram)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


async def launch(config: Path, server: BotApiServer, log: Path) -> asyncio.subprocess.Process:
    """Starts `python -m bot telegram` and waits until it polls for updates."""
    polls = server.arrived.count("getUpdates")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    env.pop("TELEGRAM_WEBHOOK_SECRET", None)
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config),
            "telegram",
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    ready = asyncio.ensure_future(
        server.wait_for(lambda: server.arrived.count("getUpdates") > polls, WAIT * 2)
    )
    exited = asyncio.ensure_future(process.wait())
    await asyncio.wait({ready, exited}, return_when=asyncio.FIRST_COMPLETED)
    if exited.done():
        ready.cancel()
        raise AssertionError(f"the bot exited with {process.returncode}; see {log}")
    exited.cancel()
    await ready
    return process


async def delivered(database: Path) -> None:
    """Waits until the outbox holds nothing pending: every reply sent is recorded as sent."""
    store = SqliteStore(database)
    await store.open()
    try:
        for _ in range(int(WAIT * 10)):
            if not (await store.outbox_counts("telegram")).get("pending"):
                return
            await asyncio.sleep(0.1)
        raise AssertionError("replies stayed pending")
    finally:
        await store.close()


async def test_a_restart_carries_on_the_same_conversation(botapi: BotApiServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, botapi)
    log = tmp_path / "bot.log"
    sam = Person(301, "Sam")
    first = await launch(config, botapi, log)
    try:
        await botapi.push(sam.text("/start autumn-campaign"))
        await botapi.wait_for_messages(sam.user_id, 1, WAIT * 2)
        await botapi.push(sam.text("how much is the physics bursary"))
        await botapi.wait_for(lambda: any(s.buttons for s in botapi.to_chat(sam.user_id)[1:]), WAIT * 2)
        await delivered(tmp_path / "bot.sqlite3")
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    answer = next(s for s in botapi.to_chat(sam.user_id)[1:] if s.buttons)
    store = SqliteStore(tmp_path / "bot.sqlite3")
    await store.open()
    try:
        before = await store.get_session("telegram", str(sam.user_id))
        second = await launch(config, botapi, log)
        try:
            seen = len(botapi.to_chat(sam.user_id))
            await botapi.push(sam.press(answer.buttons[0][1], on=answer))
            after = await botapi.wait_for_messages(sam.user_id, seen + 1, WAIT * 2)
            assert after[seen].text, "the button from before the crash still works"
            now = await store.get_session("telegram", str(sam.user_id))
        finally:
            second.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(second.wait(), WAIT)
    finally:
        await store.close()
    assert before is not None and now is not None
    assert (now.created_at, now.campaign) == (before.created_at, "autumn-campaign")
    assert now.updated_at > before.updated_at
    assert code == 0, log.read_text()


def test_no_token_exits_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["--config", str(write_config(tmp_path, None)), "telegram"]) == 2
    error = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN" in error and "@BotFather" in error


@pytest.mark.parametrize(
    ("public_url", "secret", "named"),
    [("", "s3cret", "public_url"), ("https://bot.example.org/telegram", None, "TELEGRAM_WEBHOOK_SECRET")],
)
def test_webhook_mode_needs_a_public_url_and_a_secret(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    public_url: str,
    secret: str | None,
    named: str,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    if secret is None:
        monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", secret)
    hook = {"listen": "127.0.0.1", "port": 8443, "path": "/telegram", "public_url": public_url}
    config = write_config(tmp_path, None, mode="webhook", webhook=hook)
    assert main(["--config", str(config), "telegram"]) == 2
    assert named in capsys.readouterr().err
