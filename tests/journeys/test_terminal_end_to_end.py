"""The real command line end to end: a Brighton shortlist, a consented referral, /mydata, /forget, a crash."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
import yaml

from bot.config import Config
from bot.core.content import Content
from bot.knowledge.values import format_fact
from tests.conftest import ROOT

USER = "u1"
WAIT_SECONDS = 60.0
BRIGHTON_ANSWERS = ["/shortlist", "physics", "Secondary", "Brighton", "40 miles", "2:1", "All three", "No"]
BRIGHTON_ANSWERS += ["Full time", "Not sure yet", "No"]
PROVIDERS = ("university-of-sussex", "south-farnham-scitt")


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """The project's config, with the knowledge folder of the project and everything else in tmp_path."""
    settings = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    settings["knowledge_dir"] = str(ROOT / "knowledge")
    # The project's own cache of the examples' vectors, so each chat starts without embedding them again.
    settings["matching"]["embedding_cache"] = str(ROOT / settings["matching"]["embedding_cache"])
    settings["database"] = str(tmp_path / "unused.sqlite3")
    settings["digest"]["outbox_dir"] = str(tmp_path / "outbox")
    settings["reload"]["watch"] = False
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def command(config_file: Path, database: Path) -> list[str]:
    """The terminal chat as a person starts it."""
    return [
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config_file),
        "chat",
        "--db",
        str(database),
        "--user",
        USER,
    ]


def environment() -> dict[str, str]:
    """The current environment, without secrets that would change what the bot does."""
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "SMTP_PASSWORD")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def chat_once(config_file: Path, database: Path, lines: list[str]) -> str:
    """Runs the chat with these lines on stdin until it ends, and returns everything it printed."""
    done = subprocess.run(
        command(config_file, database),
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS * 2,
        env=environment(),
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def raw(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Runs one query on the database file through a separate plain connection."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


class Running:
    """A chat process fed line by line, whose output is read on a thread so waiting never blocks."""

    def __init__(self, config_file: Path, database: Path) -> None:
        self.process = subprocess.Popen(
            command(config_file, database),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=environment(),
            cwd=ROOT,
        )
        self.seen = ""
        self._lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)

    def send(self, line: str) -> None:
        """Types one line."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def wait_for(self, text: str) -> str:
        """Waits until the output so far contains text, and returns the output since the last wait."""
        deadline = time.monotonic() + WAIT_SECONDS
        start = len(self.seen)
        while text not in self.seen[start:]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {text!r} within {WAIT_SECONDS}s; output was:\n{self.seen[start:]}")
            try:
                self.seen += self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
        return self.seen[start:]

    def kill(self) -> None:
        """Ends the process at once, as a crash would, and closes its pipes."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT_SECONDS)
        self._reader.join(timeout=WAIT_SECONDS)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()


@pytest.fixture
def running() -> Iterator[list[Running]]:
    """Chat processes started by a test, killed afterwards if still alive."""
    started: list[Running] = []
    yield started
    for chat in started:
        chat.kill()


def test_brighton_physics_to_referral_mydata_and_forget(
    config_file: Path, tmp_path: Path, content: Content, config: Config
) -> None:
    knowledge = content.knowledge
    database = tmp_path / "chat.sqlite3"
    names = [knowledge.providers[p].name for p in PROVIDERS]
    contact = ["Sam Taylor", "sam.taylor@example", "sam.taylor@example.com", "07700 900123"]
    lines = [*BRIGHTON_ANSWERS, "Put me in touch with providers", *names, "Done choosing", *contact]
    output = chat_once(config_file, database, [*lines, "Yes, share my details", "/mydata"])

    shortlist = output.split("Put me in touch with providers")[0]
    assert format_fact(knowledge.facts["bursaries.current.physics.bursary"]) in shortlist
    assert knowledge.messages["shortlist.fee_fits"].strip() in shortlist
    assert "from Brighton" in shortlist and "miles away" in shortlist
    assert all(name in shortlist for name in names)
    assert knowledge.messages["referral.bad_email_format"].strip() in output
    notice = output.split("Before anything is shared")[1]
    assert all(name in notice.split("Each of them will get")[0] for name in names)
    assert "sam.taylor@example.com" in notice and "+447700900123" in notice

    rows = raw(
        database, "SELECT provider_id, email, consent_version, status FROM referrals WHERE user_id = ?", USER
    )
    assert sorted(r[0] for r in rows) == sorted(PROVIDERS)
    assert {(r[1], r[3]) for r in rows} == {("sam.taylor@example.com", "pending")}
    assert {r[2].partition("+")[0] for r in rows} == {config.privacy.consent_version}
    texts = [r[0] for r in raw(database, "SELECT text FROM turns WHERE user_id = ?", USER)]
    assert not any("sam.taylor" in t or "900123" in t for t in texts)

    mydata = output.split("This is everything we hold about you")[1]
    assert "[mydata.json]" in mydata and '"provider_id": "university-of-sussex"' in mydata
    assert all(name in mydata for name in names) and "Sam Taylor" in mydata

    erased = chat_once(config_file, database, ["/forget", "Yes, delete everything"])
    assert "requests to be put in touch: 2" in erased
    assert raw(database, "SELECT count(*) FROM referrals WHERE user_id = ?", USER) == [(0,)]
    assert raw(database, "SELECT count(*) FROM feedback WHERE user_id = ?", USER) == [(0,)]
    assert raw(database, "SELECT count(*) FROM turns WHERE user_id = ? AND text <> ''", USER) == [(0,)]
    assert raw(database, "SELECT count(*) FROM sessions WHERE user_id = ?", USER) == [(0,)]


def test_a_killed_chat_resumes_the_same_step(
    config_file: Path, tmp_path: Path, running: list[Running], content: Content
) -> None:
    messages = content.knowledge.messages
    database = tmp_path / "crash.sqlite3"
    first = Running(config_file, database)
    running.append(first)
    first.wait_for(messages["core.button_ask"])
    first.send("/shortlist")
    first.wait_for(messages["preferences.ask_subject"][:40])
    first.send("physics")
    first.wait_for(messages["preferences.ask_phase"])
    first.send("Secondary")
    first.wait_for(messages["preferences.ask_place"][:40])
    first.kill()
    assert first.process.returncode == -signal.SIGKILL

    second = Running(config_file, database)
    running.append(second)
    second.wait_for(messages["core.welcome_back"][:30])
    second.send("Brighton")
    second.wait_for(messages["preferences.ask_travel"][:40])
    second.send("40 miles")
    second.wait_for(messages["preferences.ask_degree"])
    assert raw(database, "SELECT journey, step FROM sessions WHERE user_id = ?", USER) == [("pref", "degree")]
