"""What only the SQLite store promises: durability, migrations, and clean errors from a troubled file."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.session import Session
from bot.errors import StorageError
from bot.storage.base import TurnRecord
from bot.storage.migrations import MIGRATIONS, statements
from bot.storage.sqlite import SqliteStore

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def session(user_id: str, **fields: Any) -> Session:
    """A session created at T0."""
    return Session("telegram", user_id, created_at=T0, updated_at=T0, **fields)


def turn(user_id: str, text: str) -> TurnRecord:
    """A logged turn at T0."""
    return TurnRecord("telegram", user_id, T0, text, None, "answered", None, None, None, None, None)


def raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Runs one query on the file through a separate plain connection."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def opened(path: Path, **options: Any) -> SqliteStore:
    """A store on the file, opened."""
    store = SqliteStore(path, **options)
    await store.open()
    return store


async def test_data_survives_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folders" / "bot.sqlite3"
    first = await opened(path)
    await first.save_session(session("u1", journey="refer", data={"k": [1, 2]}))
    await first.log_turn(turn("u1", "hello"))
    await first.close()
    second = await opened(path)
    assert await second.get_session("telegram", "u1") == session("u1", journey="refer", data={"k": [1, 2]})
    assert [t.text for t in await second.turns_between(T0, T0 + timedelta(seconds=1))] == ["hello"]
    await second.close()


async def test_each_write_is_visible_to_another_connection_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await opened(path)
    await store.save_session(session("u1", data={"name": "Zoë"}))
    rows = raw(path, "SELECT data, created_at, json_valid(data) FROM sessions")
    assert rows == [('{"name":"Zoë"}', "2026-11-02T09:00:00.000000+00:00", 1)]
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]
    await store.close()


CHILD = """
import asyncio, os, signal, sys
from datetime import UTC, datetime
from pathlib import Path
from bot.core.session import Session
from bot.storage.base import TurnRecord
from bot.storage.sqlite import SqliteStore

async def main() -> None:
    path, count, ending = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    store = SqliteStore(path)
    await store.open()
    at = datetime.now(UTC)
    for n in range(count):
        await store.save_session(Session("telegram", f"user-{n}", journey="ask", data={"n": n}))
        await store.log_turn(TurnRecord("telegram", f"user-{n}", at, f"turn {n}", None, "answered",
                                        None, None, None, None, None))
    print("saved", flush=True)
    if ending == "exit":
        os._exit(7)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


@pytest.mark.parametrize(("ending", "code"), [("exit", 7), ("kill", -signal.SIGKILL)])
async def test_a_killed_process_loses_nothing_it_saved(tmp_path: Path, ending: str, code: int) -> None:
    path = tmp_path / "bot.sqlite3"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(path), "60", ending, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    assert (out, child.returncode) == (b"saved\n", code)
    store = await opened(path)
    saved = [await store.get_session("telegram", f"user-{n}") for n in range(60)]
    assert [s.data["n"] if s else None for s in saved] == list(range(60))
    turns = await store.turns_between(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    assert len(turns) == 60
    await store.close()


async def test_an_empty_file_gets_the_whole_schema(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    path.touch()
    store = await opened(path)
    await store.close()
    versions = raw(path, "SELECT version FROM schema_version ORDER BY version")
    assert versions == [(n,) for n in range(1, len(MIGRATIONS) + 1)]
    tables = {row[0] for row in raw(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sessions", "turns", "feedback", "referrals", "digests", "digest_referrals"} <= tables


async def test_an_older_schema_is_upgraded_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    old = await opened(path, migrations=MIGRATIONS[:1])
    await old.save_session(session("u1", journey="ask"))
    await old.close()
    assert raw(path, "SELECT MAX(version) FROM schema_version") == [(1,)]

    current = await opened(path)
    assert await current.get_session("telegram", "u1") == session("u1", journey="ask")
    assert await current.pending_referrals() == []
    await current.close()
    assert raw(path, "SELECT MAX(version) FROM schema_version") == [(len(MIGRATIONS),)]


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    future = await opened(path, migrations=[*MIGRATIONS, "CREATE TABLE later (x TEXT);"])
    await future.close()
    store = SqliteStore(path)
    with pytest.raises(StorageError, match="newer"):
        await store.open()
    with pytest.raises(StorageError, match="not open"):
        await store.get_session("telegram", "u1")


async def test_a_failed_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    broken = [*MIGRATIONS, "CREATE TABLE half (x TEXT);\nINSERT INTO missing VALUES (1);"]
    with pytest.raises(StorageError) as caught:
        await opened(path, migrations=broken)
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    tables = {row[0] for row in raw(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "half" not in tables
    assert "sessions" not in tables


async def test_a_locked_database_gives_storage_error_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await opened(path, busy_timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(StorageError, match="locked") as caught:
            await store.save_session(session("u1"))
        assert time.monotonic() - started < 3
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        other.execute("ROLLBACK")
    finally:
        other.close()
    await store.save_session(session("u1"))
    assert await store.get_session("telegram", "u1") == session("u1")
    await store.close()


async def test_opening_a_locked_database_gives_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    await (await opened(path)).close()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError, match="locked"):
            await opened(path, busy_timeout=0.1)
    finally:
        other.close()


async def test_a_file_that_is_not_a_database_gives_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"These are meeting notes, not a database.\n" * 200)
    with pytest.raises(StorageError, match="not a database") as caught:
        await opened(path)
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


async def test_two_stores_on_one_file_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first, second = await opened(path), await opened(path)

    async def write(store: SqliteStore, prefix: str) -> None:
        for n in range(100):
            await store.save_session(session(f"{prefix}-{n}"))

    await asyncio.gather(write(first, "a"), write(second, "b"))
    assert raw(path, "SELECT COUNT(*) FROM sessions") == [(200,)]
    await first.close()
    await second.close()


def test_statements_are_split_at_semicolons_outside_literals() -> None:
    script = "CREATE TABLE t (x TEXT);\nINSERT INTO t VALUES ('a; b');  INSERT INTO t VALUES ('c');\n"
    assert statements(script) == [
        "CREATE TABLE t (x TEXT);",
        "INSERT INTO t VALUES ('a; b');",
        "INSERT INTO t VALUES ('c');",
    ]
    with pytest.raises(ValueError, match="semicolon"):
        statements("CREATE TABLE t (x TEXT)")


async def test_each_turn_is_in_the_file_when_its_save_returns_even_when_saves_share_a_commit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await opened(path)
    found: dict[str, list[tuple[object, ...]]] = {}

    async def save(user_id: str) -> None:
        await store.save_turn(session(user_id, journey="ask"), turn(user_id, f"hello from {user_id}"))
        found[user_id] = raw(path, f"SELECT text FROM turns WHERE user_id = '{user_id}'")

    await asyncio.gather(*(save(f"u{n}") for n in range(30)))
    assert found == {f"u{n}": [(f"hello from u{n}",)] for n in range(30)}
    assert raw(path, "SELECT COUNT(*) FROM sessions") == [(30,)]
    await store.close()


async def test_one_unwritable_turn_does_not_lose_the_turns_saved_with_it(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await opened(path)
    # A lone surrogate cannot be encoded for SQLite: only its own row fails.
    texts = {f"u{n}": ("bad \ud800" if n == 3 else f"fine {n}") for n in range(8)}
    results = await asyncio.gather(
        *(store.save_turn(session(u, journey="ask"), turn(u, text)) for u, text in texts.items()),
        return_exceptions=True,
    )
    failed = [u for u, result in zip(texts, results, strict=True) if isinstance(result, BaseException)]
    assert failed == ["u3"]
    assert raw(path, "SELECT user_id FROM turns ORDER BY user_id") == [
        (u,) for u in sorted(texts) if u != "u3"
    ]
    assert await store.get_session("telegram", "u3") is None
    await store.close()


async def test_a_locked_database_fails_every_waiting_turn_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await opened(path, busy_timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        results = await asyncio.gather(
            *(store.save_turn(session(f"u{n}"), turn(f"u{n}", "hi")) for n in range(20)),
            return_exceptions=True,
        )
        # One wait for the lock by the first turn and one by the batch behind it, not one per turn.
        assert time.monotonic() - started < 2
        assert all(isinstance(r, StorageError) for r in results)
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert raw(path, "SELECT COUNT(*) FROM turns") == [(0,)]
    await store.close()


async def test_closing_waits_for_turns_still_being_written(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await opened(path)
    saving = [asyncio.create_task(store.save_turn(session(f"u{n}"), turn(f"u{n}", "hi"))) for n in range(25)]
    await asyncio.sleep(0)
    await store.close()
    await asyncio.gather(*saving)
    assert raw(path, "SELECT COUNT(*) FROM turns") == [(25,)]


async def test_a_store_that_does_not_remember_sessions_sees_another_writer_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    bot, staff = await opened(path, remember_sessions=True), await opened(path)
    await bot.save_turn(session("u1", step="one"), turn("u1", "hi"))
    assert (await staff.get_session("telegram", "u1")) == session("u1", step="one")
    await bot.save_turn(session("u1", step="two"), turn("u1", "again"))
    assert (await staff.get_session("telegram", "u1")) == session("u1", step="two")
    await bot.close()
    await staff.close()
