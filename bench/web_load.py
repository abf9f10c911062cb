"""Web channel load: many browsers chatting at once with `careers-bot web` over loopback HTTP.

The server runs as its own process (`python -m bot web`) on 127.0.0.1 with a temporary SQLite
database, as an operator would run it. Each simulated browser opens one keep-alive connection,
loads GET /api/chat for its cookie and CSRF token, then sends its messages to POST /api/chat, each
after the reply to the one before. Messages are started on a fixed schedule at --rate a second
(open loop), and each latency is counted from the time the message was due, so a server falling
behind shows in the tail instead of slowing the load down. --rate 0 sends as fast as replies
come, to find the most the server takes. Only loopback is contacted; the run stops after
--timeout seconds whatever happens.

Usage: python bench/web_load.py [--sessions 1000] [--messages 5] [--rate 200] [--timeout 180]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, the bench package sits beside this file's folder
    sys.path.insert(0, str(ROOT))

from bench.latency import Spread, spread  # noqa: E402
from bench.workload import load_questions  # noqa: E402

HOST = "127.0.0.1"  # never anything but loopback
TARGET_P99_MS = 300.0
TARGET_RATE = 200.0
SECRET = "bench-cookie-key"


@dataclass
class Tally:
    """What the run measured: one latency per answered message, and what went wrong."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0


@dataclass(frozen=True, slots=True)
class WebLoadReport:
    """The figures of one run."""

    sessions: int
    messages: int
    rate: float
    latency: Spread
    throughput: float
    seconds: float
    statuses: dict[int, int]
    failures: int
    server_cpu_ms: float  # the server's processor time per answered message, whatever else the machine runs


def cpu_seconds(pid: int) -> float:
    """Returns the processor time (user and system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _ClosedBeforeReply(ConnectionError):
    """The server had closed the connection before any byte of a response."""


class Connection:
    """One browser's keep-alive HTTP/1.1 connection, kept small so the load costs less than the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        self.reader = reader
        self.writer = writer
        self.port = port
        self.host = f"{HOST}:{port}"
        self.cookie = ""
        self.csrf = ""

    @staticmethod
    async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(HOST, port, limit=1 << 20)

    @classmethod
    async def open(cls, port: int) -> Connection:
        """Connects to the server on loopback."""
        return cls(*await cls._connect(port), port)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """Sends one request and returns its response, reconnecting once if the server closed the connection.

        A browser does the same: the server ends keep-alive connections that stay idle (uvicorn after 5 s),
        and a request that meets such a connection before any byte of a response is sent again on a new one.
        A connection lost after the response began is a failure, never sent twice.
        """
        try:
            return await self._exchange(method, path, body)
        except _ClosedBeforeReply:
            self.writer.close()
            self.reader, self.writer = await self._connect(self.port)
            return await self._exchange(method, path, body)

    async def _exchange(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", f"Origin: http://{self.host}"]
        if self.cookie:
            head.append(f"Cookie: {self.cookie}")
        if method == "POST":
            head += ["Content-Type: application/json", f"X-CSRF-Token: {self.csrf}"]
        head.append(f"Content-Length: {len(body)}")
        try:
            self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            await self.writer.drain()
            status_line = await self.reader.readline()
        except ConnectionError as exc:
            raise _ClosedBeforeReply from exc
        if not status_line:
            raise _ClosedBeforeReply
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "set-cookie":
                self.cookie = value.strip().split(";")[0]
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        """Closes the connection."""
        self.writer.close()


class Gate:
    """Holds every browser until all have loaded their page, so the measured messages start together."""

    def __init__(self, browsers: int) -> None:
        self.waiting = browsers
        self.loaded = asyncio.Event()
        self.go = asyncio.Event()

    def arrived(self) -> None:
        """Counts one browser as loaded (or as given up)."""
        self.waiting -= 1
        if self.waiting <= 0:
            self.loaded.set()


async def browser(port: int, script: Sequence[str], due: Sequence[float], tally: Tally, gate: Gate) -> None:
    """One person: loads the chat, then sends each message at its due time (or at once after a reply)."""
    arrived = False
    try:
        connection = await Connection.open(port)
    except OSError:
        tally.failures += 1
        gate.arrived()
        return
    try:
        status, body = await connection.request("GET", "/api/chat")
        connection.csrf = json.loads(body)["csrf"]
        arrived = True
        gate.arrived()
        await gate.go.wait()
        start = time.perf_counter()
        for text, offset in zip(script, due, strict=True):
            wait = start + offset - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            # Counted from when the message was due, so time spent queueing behind others is included.
            sent = min(start + offset, time.perf_counter()) if offset >= 0 else time.perf_counter()
            status, body = await connection.request("POST", "/api/chat", json.dumps({"text": text}).encode())
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if status == 200 and json.loads(body)["replies"]:
                tally.latencies.append(time.perf_counter() - sent)
            else:
                tally.failures += 1
    except (OSError, ValueError, KeyError, IndexError, asyncio.IncompleteReadError):
        tally.failures += 1
    finally:
        if not arrived:
            gate.arrived()
        connection.close()


def schedule(sessions: int, messages: int, rate: float) -> list[list[float]]:
    """Returns each browser's due times in seconds from the start: message k of all browsers, then k+1."""
    if rate <= 0:
        return [[-1.0] * messages for _ in range(sessions)]
    return [[(k * sessions + s) / rate for k in range(messages)] for s in range(sessions)]


def scripts(sessions: int, messages: int) -> list[list[str]]:
    """Returns what each browser types: the benchmark questions, each browser starting further on."""
    questions = load_questions()
    return [[questions[(s * 7 + k) % len(questions)] for k in range(messages)] for s in range(sessions)]


def start_server(
    folder: Path, database: str | None = None, environ: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """Starts `python -m bot web` on a free loopback port with this run's config; waits until it answers.

    The database is a new SQLite file in folder unless one is given (a PostgreSQL URL several servers share).
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["knowledge_dir"] = str(ROOT / "knowledge")
    data["database"] = database or str(folder / "bench.sqlite3")
    # The project's cache of the examples' vectors, so that a server starts without embedding them all again.
    data["matching"]["embedding_cache"] = str(ROOT / data["matching"]["embedding_cache"])
    data["reload"]["watch"] = False
    data["web"].update(
        {"listen": HOST, "secret_file": str(folder / "secret"), "per_ip_per_minute": 10**9}
    )  # every browser here shares one address
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = int(probe.getsockname()[1])
    env = {**os.environ, **(environ or {}), "WEB_COOKIE_SECRET": SECRET}
    command = [sys.executable, "-m", "bot", "--config", str(config), "web", "--port", str(port)]
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return process, port
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    process.wait()
    raise SystemExit(f"the web server did not start; see {folder / 'server.log'}")


async def drive(
    port: int, sessions: int, messages: int, rate: float, limit: float, pid: int
) -> tuple[Tally, float, float]:
    """Runs every browser at once; returns the tally, the seconds and the server CPU the messages took."""
    tally = Tally()
    gate = Gate(sessions)
    due = schedule(sessions, messages, rate)
    said = scripts(sessions, messages)
    tasks = [asyncio.ensure_future(browser(port, said[s], due[s], tally, gate)) for s in range(sessions)]
    await asyncio.wait_for(gate.loaded.wait(), limit)
    started, cpu = time.perf_counter(), cpu_seconds(pid)
    gate.go.set()
    _, pending = await asyncio.wait(tasks, timeout=limit)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    tally.failures += len(pending)
    return tally, time.perf_counter() - started, cpu_seconds(pid) - cpu


def measure(sessions: int, messages: int, rate: float, timeout: float) -> WebLoadReport:
    """Starts a server, runs the load against it, stops it, and returns the figures."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, sessions * 2 + 256)), hard))
    with tempfile.TemporaryDirectory(prefix="careers-bot-web-bench-") as folder:
        process, port = start_server(Path(folder))
        try:
            tally, seconds, cpu = asyncio.run(drive(port, sessions, messages, rate, timeout, process.pid))
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    answered = len(tally.latencies)
    return WebLoadReport(
        sessions=sessions,
        messages=messages,
        rate=rate,
        latency=spread(tally.latencies),
        throughput=answered / seconds if seconds > 0 else 0.0,
        seconds=seconds,
        statuses=dict(sorted(tally.statuses.items())),
        failures=tally.failures,
        server_cpu_ms=cpu / answered * 1000 if answered else 0.0,
    )


def report_lines(report: WebLoadReport) -> list[str]:
    """Returns the run's figures as the lines the command prints."""
    total = report.sessions * report.messages
    paced = f"{report.rate:g} messages/s scheduled" if report.rate > 0 else "as fast as replies come"
    p99_ok = report.latency.p99_ms < TARGET_P99_MS
    judged = "pass" if p99_ok and report.failures == 0 else "miss"
    return [
        f"Web chat: {report.sessions} browsers x {report.messages} messages ({total}), {paced}",
        f"  answered {report.latency.count} in {report.seconds:.1f} s: {report.throughput:.0f} messages/s",
        f"  latency p50 {report.latency.p50_ms:.1f} ms, p99 {report.latency.p99_ms:.1f} ms, "
        f"max {report.latency.max_ms:.1f} ms",
        f"  HTTP statuses {report.statuses}; failures {report.failures}",
        f"  server processor time {report.server_cpu_ms:.2f} ms a message, all its threads together"
        if report.server_cpu_ms
        else "  server processor time not measured",
        f"  target p99 < {TARGET_P99_MS:g} ms at {TARGET_RATE:g} messages/s: "
        + (judged if report.rate >= TARGET_RATE else "not judged at this rate"),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the web load and prints its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000, help="browsers chatting at once")
    parser.add_argument("--messages", type=int, default=5, help="messages each browser sends")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="messages a second; 0: flat out")
    parser.add_argument("--timeout", type=float, default=180.0, help="stop after this many seconds")
    args = parser.parse_args(argv)
    if not (1 <= args.sessions <= 5000 and 1 <= args.messages <= 50 and 0 < args.timeout <= 900):
        parser.error("keep to 1-5000 sessions, 1-50 messages and a timeout up to 900 s")
    report = measure(args.sessions, args.messages, args.rate, args.timeout)
    print("\n".join(report_lines(report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
