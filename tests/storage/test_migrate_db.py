"""`careers-bot migrate-db`: an SQLite database copied into PostgreSQL through the real command line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.config import PASSWORD_VARIABLE
from bot.storage.base import Store
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from tests.storage.pg import PASSWORD, PASSWORD_USER, Cluster
from tests.storage.test_contract import LEASE, at, digest, fill_person, outgoing, session, texts, turn
from tests.storage.test_postgres import careers_bot, write_config

EVER = (at(-1000), at(1000))


async def filled_sqlite(path: Path) -> None:
    """An SQLite database with a row in every table."""
    store = SqliteStore(path)
    await store.open()
    try:
        await fill_person(store, "u1")
        await fill_person(store, "u2")
        await store.start_digest(digest("d1", "p-sheffield", "u2-r"))
        await store.fail_digest("d1", "refused", at(3))
        await store.save_turn(session("u3"), turn("u3", 4), update_id="41", outbox=[outgoing("a", "u3")])
        await store.enqueue([outgoing("b", "u3"), outgoing("c", "u1")])
        async with store._transaction("set a row aside") as conn:
            await conn.execute(
                "INSERT INTO set_aside_sessions (channel, user_id, data, reason, set_aside_at) "
                "VALUES ('telegram', 'u1', X'FF', 'data is not JSON', ?)",
                (at(5).isoformat(),),
            )
    finally:
        await store.close()


async def everything(store: Store) -> list[Any]:
    """What the store answers about every record in it."""
    await store.open()
    try:
        return [
            await store.export_person("telegram", "u1"),
            await store.export_person("telegram", "u2"),
            await store.turns_between(*EVER),
            await store.unfinished_digests(),
            await store.sessions_between(*EVER),
            await store.referrals_between(*EVER),
            await store.feedback_between(*EVER),
            await store.is_accepted("telegram", "41"),
            texts(await store.claim_outbox("telegram", "w1", at(0), LEASE)),
        ]
    finally:
        await store.close()


def counts_printed(output: str) -> dict[str, tuple[int, int]]:
    return {
        m[0]: (int(m[1]), int(m[2]))
        for m in re.findall(r"^(\w+): (\d+) in the file, (\d+) copied$", output, re.M)
    }


async def test_every_table_is_copied_and_counted(pg_cluster: Cluster, tmp_path: Path) -> None:
    source = tmp_path / "bot.sqlite3"
    await filled_sqlite(source)
    url = pg_cluster.url(pg_cluster.new_database(), user=PASSWORD_USER)
    config = write_config(tmp_path, str(source))
    done = careers_bot(
        "--config",
        str(config),
        "migrate-db",
        "--from",
        str(source),
        "--to",
        url,
        env={PASSWORD_VARIABLE: PASSWORD},
    )
    assert done.returncode == 0, done.stderr
    printed = counts_printed(done.stdout)
    assert printed == {
        "sessions": (3, 3),
        "turns": (5, 5),
        "feedback": (2, 2),
        "referrals": (2, 2),
        "digests": (1, 1),
        "digest_referrals": (1, 1),
        "inbox": (1, 1),
        "outbox": (3, 3),
        "set_aside_sessions": (1, 1),
    }
    assert "Copied 19 rows" in done.stdout and PASSWORD not in done.stdout

    copied = PostgresStore(url, password=PASSWORD)
    assert await everything(copied) == await everything(SqliteStore(source))
    # New rows are numbered after the copied ones, so the turn log and the outbox keep their order.
    await copied.open()
    try:
        await copied.log_turn(turn("u9", 0, text="after the move"))
        logged = await copied.turns_between(at(0), at(0.5))
        assert [t.text for t in logged] == ["hello", "hello", "after the move"]
        await copied.enqueue([outgoing("d", "u4")])
        assert texts(await copied.claim_outbox("telegram", "w2", at(0), LEASE)) == ["d"]
    finally:
        await copied.close()


async def test_a_database_that_holds_data_is_left_alone_unless_forced(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    source = tmp_path / "bot.sqlite3"
    await filled_sqlite(source)
    url = pg_cluster.url(pg_cluster.new_database())
    config = write_config(tmp_path, str(source))
    first = careers_bot("--config", str(config), "migrate-db", "--from", str(source), "--to", url)
    assert first.returncode == 0, first.stderr
    again = careers_bot("--config", str(config), "migrate-db", "--from", str(source), "--to", url)
    assert again.returncode == 1
    (line,) = again.stderr.strip().splitlines()
    assert "already holds data" in line and "--force" in line and "Traceback" not in again.stderr
    forced = careers_bot("--config", str(config), "migrate-db", "--from", str(source), "--to", url, "--force")
    assert forced.returncode == 0, forced.stderr
    assert counts_printed(forced.stdout) == counts_printed(first.stdout)


def test_a_missing_source_or_a_target_that_is_not_postgresql_is_a_usage_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "bot.sqlite3")
    missing = careers_bot(
        "--config",
        str(config),
        "migrate-db",
        "--from",
        str(tmp_path / "none.sqlite3"),
        "--to",
        "postgresql://careers@127.0.0.1:1/careers",
    )
    assert missing.returncode == 2
    assert "there is no SQLite database" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    (tmp_path / "real.sqlite3").write_bytes(b"")
    not_pg = careers_bot(
        "--config",
        str(config),
        "migrate-db",
        "--from",
        str(tmp_path / "real.sqlite3"),
        "--to",
        str(tmp_path / "other.sqlite3"),
    )
    assert not_pg.returncode == 2
    assert "--to must be a postgresql:// URL" in not_pg.stderr
