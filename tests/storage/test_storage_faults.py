"""Faults in the database's files while the bot runs or starts: each is detected and said plainly."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.app import build_journeys
from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.core.types import Status, Turn
from bot.errors import StorageError
from bot.knowledge.values import message
from bot.storage.sqlite import SqliteStore
from tests.conftest import ROOT, TODAY

KEPT_CLAIM = "Nothing you've told me has been lost"


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """Makes one file unwritable as the bot's user meets it: immutable for root, read-only for others."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("this file system does not take chattr +i")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def delete_database(path: Path) -> None:
    """Deletes the database file and its -wal and -shm files, as `rm data/careers-bot.sqlite3*` does."""
    for part in path.parent.glob(path.name + "*"):
        part.unlink()


async def test_deleting_the_database_while_running_is_said_and_not_claimed_kept(
    tmp_path: Path, config: Config, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SqliteStore(path, remember_sessions=True)
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY))
    await engine.handle(Turn(channel="t", user_id="ana", text="/start"))
    delete_database(path)
    with caplog.at_level(logging.ERROR):
        replies = await engine.handle(Turn(channel="t", user_id="ana", text="what is a scitt"))
    assert replies[0].status is Status.ERROR
    assert replies[0].text == message(content.knowledge, "core.error_not_saved")
    assert KEPT_CLAIM not in replies[0].text
    assert "was deleted or replaced while the bot was running" in caplog.text
    await store.close()


async def test_a_read_only_database_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SqliteStore(path)
    await store.open()
    await store.close()
    with unwritable(path), pytest.raises(StorageError, match="cannot be written"):
        await store.open()


async def test_an_immutable_shared_memory_file_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SqliteStore(path)
    await store.open()
    await store.close()
    holder = sqlite3.connect(path)  # another reader keeps the -shm file in place
    holder.execute("SELECT count(*) FROM sessions").fetchall()
    try:
        with unwritable(tmp_path / "bot.sqlite3-shm"), pytest.raises(StorageError, match="-shm cannot be"):
            await store.open()
    finally:
        holder.close()


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        into.put(line)


def _until(output: queue.Queue[str], seen: list[str], wanted: str) -> None:
    deadline = time.monotonic() + 60
    while wanted not in "".join(seen):
        seen.append(output.get(timeout=max(0.1, deadline - time.monotonic())))


def test_an_immutable_shared_memory_file_while_chatting_is_said_not_a_crash(
    tmp_path: Path, content: Content
) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can make a file immutable while another process uses it")
    path = tmp_path / "bot.sqlite3"
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--db", str(path), "--user", "ana"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as chat:
        assert chat.stdin is not None and chat.stdout is not None and chat.stderr is not None
        output: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(chat.stdout, output), daemon=True).start()
        seen: list[str] = []
        not_saved = message(content.knowledge, "core.error_not_saved")
        try:
            chat.stdin.write("how much is the physics bursary\n")
            chat.stdin.flush()
            _until(output, seen, "£")
            with unwritable(tmp_path / "bot.sqlite3-shm"):
                chat.stdin.write("what is a scitt\n")
                chat.stdin.flush()
                _until(output, seen, not_saved)
                chat.stdin.close()
                code = chat.wait(timeout=60)
        finally:
            if chat.poll() is None:
                chat.kill()
        errors = chat.stderr.read()
    assert code == 1, errors  # not -7, a SIGBUS
    assert "bot.sqlite3-shm cannot be written" in errors and "Traceback" not in errors
