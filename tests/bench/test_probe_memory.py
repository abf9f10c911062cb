"""The start-up probe reports its own memory, not that of the process that started it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
HELD_MB = 400


def test_a_started_probe_does_not_count_its_starters_memory() -> None:
    held = bytearray(HELD_MB * 1024 * 1024)
    held[::4096] = b"x" * len(held[::4096])  # touch every page, so it is resident
    done = subprocess.run(
        [sys.executable, "-c", "from bench.probe import peak_rss_mb; print(peak_rss_mb())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(done.stdout) < HELD_MB / 2
