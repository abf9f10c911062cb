"""What only the PostgreSQL store does: the password from the environment, one-line errors, migrations."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml

from bot.config import PASSWORD_VARIABLE, PostgresDatabase, load_config
from bot.errors import ConfigError, StorageError
from bot.storage.migrations import MIGRATIONS
from bot.storage.open import open_store
from bot.storage.pg_migrations import PG_MIGRATIONS
from bot.storage.postgres import PostgresStore, redacted
from tests.conftest import ROOT
from tests.storage.pg import PASSWORD, PASSWORD_USER, Cluster


def write_config(folder: Path, database: str) -> Path:
    """The project's config.yaml, pointed at the real knowledge and the given database."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["knowledge_dir"] = str(ROOT / "knowledge")
    data["database"] = database
    data["database_pool_size"] = 3
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def careers_bot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the real command line as a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_the_schemas_have_the_same_version_numbers() -> None:
    assert len(PG_MIGRATIONS) == len(MIGRATIONS)


def test_a_url_in_the_config_is_a_postgresql_database_with_the_password_from_the_environment(
    tmp_path: Path,
) -> None:
    url = "postgresql://careers@db.example.org:5432/careers"
    config = load_config(write_config(tmp_path, url), environ={PASSWORD_VARIABLE: "s3cret"})
    assert config.database == PostgresDatabase(url, "s3cret", 3)
    assert "s3cret" not in repr(config)
    assert str(config.database) == url


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://careers:s3cret@db.example.org/careers",
        "postgresql://db.example.org/careers?password=s3cret",
    ],
)
def test_a_password_in_the_config_file_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match=PASSWORD_VARIABLE) as caught:
        load_config(write_config(tmp_path, url), environ={})
    assert "s3cret" not in str(caught.value)


def test_a_password_in_the_url_given_on_the_command_line_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path, "bot.sqlite3")
    done = careers_bot("--config", str(config), "purge", "--db", "postgresql://careers:s3cret@127.0.0.1/x")
    assert done.returncode == 2
    assert PASSWORD_VARIABLE in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1


def test_redacted_urls_keep_no_password_or_options() -> None:
    assert redacted("postgresql://me:pw@[::1]:5433/db?sslmode=require") == "postgresql://me@[::1]:5433/db"


async def test_the_password_comes_from_where_the_config_says(pg_cluster: Cluster, tmp_path: Path) -> None:
    url = pg_cluster.url(pg_cluster.new_database(), user=PASSWORD_USER)
    config = load_config(write_config(tmp_path, url), environ={PASSWORD_VARIABLE: PASSWORD})
    store = open_store(config.database, serving=True)
    await store.open()
    try:
        assert await store.get_session("web", "someone") is None
    finally:
        await store.close()
    wrong = PostgresStore(url, password="not the password")
    with pytest.raises(StorageError) as caught:
        await wrong.open()
    message = str(caught.value)
    assert "password authentication failed" in message
    assert "not the password" not in message and "\n" not in message
    assert url in message


async def test_an_unreachable_server_is_one_clear_error(pg_cluster: Cluster) -> None:
    closed = pg_cluster.url("nowhere").replace(str(pg_cluster.port), "1")
    store = PostgresStore(closed, password="hush", connect_timeout=2)
    with pytest.raises(StorageError, match="Could not connect to the PostgreSQL database") as caught:
        await store.open()
    assert "\n" not in str(caught.value) and "hush" not in str(caught.value)
    with pytest.raises(StorageError, match="not open"):
        await store.get_session("web", "someone")


def test_a_staff_command_on_an_unreachable_server_prints_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, "postgresql://careers@127.0.0.1:1/careers")
    done = careers_bot("--config", str(config), "purge", env={PASSWORD_VARIABLE: "hush"})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(
        "careers-bot: Could not connect to the PostgreSQL database postgresql://careers@127.0.0.1:1"
    )
    assert "hush" not in done.stderr


async def test_workers_starting_together_migrate_once(pg_cluster: Cluster) -> None:
    url = pg_cluster.url(pg_cluster.new_database())
    stores = [PostgresStore(url, pool_size=1) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    for store in stores:
        await store.close()
    versions = pg_cluster.psql(
        "SELECT version FROM schema_version ORDER BY version", database=url.rsplit("/", 1)[1]
    )
    assert versions.split() == ["1", "2", "3", "4"]


async def test_a_newer_schema_is_refused(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    await store.open()
    await store.close()
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        await conn.execute("INSERT INTO schema_version VALUES (5, 'later')")
    with pytest.raises(StorageError, match="schema version 5, newer than this program knows"):
        await store.open()


async def test_a_reopened_store_keeps_its_data_and_runs_no_migration_twice(pg_url: str) -> None:
    from tests.storage.test_contract import session

    first = PostgresStore(pg_url)
    await first.open()
    await first.save_session(session("u1"))
    await first.close()
    second = PostgresStore(pg_url, migrations=[*PG_MIGRATIONS, "CREATE TABLE later (x INTEGER);"])
    await second.open()
    try:
        assert await second.get_session("telegram", "u1") == session("u1")
    finally:
        await second.close()
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        found = await (await conn.execute("SELECT COUNT(*) FROM schema_version")).fetchone()
    assert found == (5,)
