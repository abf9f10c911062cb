"""A throwaway PostgreSQL cluster on loopback for the tests, and a fresh database in it for each test.

The cluster is made with initdb in a temporary folder and started with pg_ctl on a free port. The server
refuses to run as root, so as root it runs as the `postgres` user. Without the binaries the tests that need
it are skipped, except under CI=true, where they fail: CI must run them.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.ports import free_port

SUPERUSER = "postgres"
# A role that must give its password (scram-sha-256), for the tests of CAREERS_BOT_DB_PASSWORD.
PASSWORD_USER = "careers"
PASSWORD = "correct horse battery staple"
SHARED = "tests"  # the database whose schemas most tests get, one each


@dataclass
class Cluster:
    """A running PostgreSQL server on 127.0.0.1 that hands out new, empty databases."""

    folder: Path
    port: int
    bin_dir: Path
    as_user: list[str]
    _count: Iterator[int] = field(default_factory=itertools.count)

    def url(self, database: str, user: str = SUPERUSER) -> str:
        """The URL of a database of this cluster, with no password in it."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Runs SQL as the superuser through psql and returns what it printed."""
        done = subprocess.run(
            ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql, self.url(database)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"psql failed: {done.stderr}")
        return done.stdout

    def new_database(self) -> str:
        """Creates an empty database owned by the password role and returns its name."""
        name = f"test_{os.getpid()}_{next(self._count)}"
        self.psql(f"CREATE DATABASE {name} OWNER {PASSWORD_USER}")
        return name

    def new_schema(self) -> str:
        """Creates an empty schema in the shared test database; returns a URL whose search path is it alone.

        Much quicker than a new database, and as empty: the store makes its tables in the first schema of
        the search path.
        """
        name = f"test_{os.getpid()}_{next(self._count)}"
        self.psql(f"CREATE SCHEMA {name} AUTHORIZATION {PASSWORD_USER}", SHARED)
        return f"{self.url(SHARED)}?options=-csearch_path%3D{name}"

    def stop(self) -> None:
        """Stops the server at once and removes its files."""
        subprocess.run(
            [
                *self.as_user,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def find_bin_dir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None when they are not installed."""
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def unavailable(reason: str) -> None:
    """Skips the test, or fails it under CI=true, where the PostgreSQL tests must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests cannot run under CI: {reason}")
    pytest.skip(reason)


def start_cluster(durable: bool = False) -> Cluster:
    """Makes and starts a new cluster; calls unavailable() when that cannot be done here.

    Tests run it without flushing to disk, which only a crash of the machine would show; durable keeps
    PostgreSQL's own settings, for measuring speed as a real server would give it.
    """
    bin_dir = find_bin_dir()
    if bin_dir is None or shutil.which("psql") is None:
        unavailable("PostgreSQL (initdb, pg_ctl, postgres, psql) is not installed")
    assert bin_dir is not None
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="careers-bot-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root, and there is no postgres user to run the server as")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    _run(
        [
            *as_user,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "-N",
        ]
    )
    hba = data / "pg_hba.conf"
    rules = f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n"
    hba.write_text("local all all trust\n" + rules)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c full_page_writes=off"
    log = folder / "server.log"
    _run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start"])
    cluster = Cluster(folder, port, bin_dir, as_user)
    escaped = PASSWORD.replace("'", "''")
    cluster.psql(f"CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{escaped}'")
    cluster.psql(f"CREATE DATABASE {SHARED} OWNER {PASSWORD_USER}")
    return cluster


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr or done.stdout}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster for the whole test run."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """The URL of a new, empty schema, for a superuser that needs no password."""
    return pg_cluster.new_schema()
