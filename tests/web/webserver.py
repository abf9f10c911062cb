"""`careers-bot web` as a real process on a loopback port, with its own config and database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-cookie-key-not-for-use-anywhere-else"
START_WAIT = 30.0


def write_config(folder: Path, database: str | None = None, **web: Any) -> Path:
    """Copies the project's config.yaml, pointed at the real knowledge and a new database in folder.

    database, when given, is used instead: a PostgreSQL URL that several servers share.
    """
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["knowledge_dir"] = str(ROOT / "knowledge")
    # The project's own cache of the examples' vectors, so each server starts without embedding them again.
    data["matching"]["embedding_cache"] = str(ROOT / data["matching"]["embedding_cache"])
    data["database"] = database or str(folder / "bot.sqlite3")
    data["reload"]["watch"] = False
    data["web"]["secret_file"] = str(folder / "web-secret")
    admins = web.pop("admin_ids", None)
    if admins is not None:
        data["admins"]["web_ids"] = admins
    data["web"].update(web)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


class WebServer:
    """One running `python -m bot web`; stop() ends it with SIGTERM."""

    def __init__(
        self,
        folder: Path,
        secret: str | None = SECRET,
        options: tuple[str, ...] = (),
        database: str | None = None,
        environ: dict[str, str] | None = None,
        **web: Any,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = write_config(folder, database, **web)
        self.log = folder / "server.log"
        env = {**os.environ, **(environ or {})}
        env.pop("WEB_COOKIE_SECRET", None)
        if secret is not None:
            env["WEB_COOKIE_SECRET"] = secret
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bot",
                    *options,
                    "--config",
                    str(self.config),
                    "web",
                    "--port",
                    str(self.port),
                ],
                cwd=folder,
                env=env,
                stdout=out,
                stderr=out,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the web server exited with {self.process.returncode}: {self.output()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"the web server did not answer within {START_WAIT} s: {self.output()}")

    def output(self) -> str:
        """Returns what the server printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """Stops the server and returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
