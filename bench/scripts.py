"""Running the separate benchmark scripts (the probe, the quality evaluation) as child processes."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUALITY_SCRIPT = ROOT / "bench" / "quality.py"
TELEGRAM_SCRIPT = ROOT / "bench" / "telegram_bench.py"
DEV_SET = ROOT / "tests" / "data" / "dev_questions.yaml"
SCRIPT_TIMEOUT = 240


@dataclass(frozen=True, slots=True)
class ScriptOutput:
    """What a child script printed, and whether it ran at all."""

    ran: bool
    ok: bool
    text: str


def run_probe(turns: int, cold: bool = False) -> dict[str, float]:
    """Runs bench.probe in a fresh interpreter and returns its figures; cold empties the embedding cache."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.probe", str(turns), *(["--cold"] if cold else [])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def run_script(script: Path, *args: str, needs: Path | None = None) -> ScriptOutput:
    """Runs a Python script from the project folder and returns what it printed, or why it could not run."""
    missing = next((p for p in (script, needs) if p is not None and not p.exists()), None)
    if missing is not None:
        return ScriptOutput(False, False, f"Not run: {missing.relative_to(ROOT)} is not there yet.")
    try:
        done = subprocess.run(
            [sys.executable, str(script), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ScriptOutput(True, False, f"{script.name} did not finish within {SCRIPT_TIMEOUT} seconds.")
    text = done.stdout.rstrip()
    if done.returncode != 0:
        text += f"\n{script.name} exited with {done.returncode}:\n{done.stderr.rstrip()}"
    return ScriptOutput(True, done.returncode == 0, text)


def run_quality() -> ScriptOutput:
    """Runs bench/quality.py on the development set, if both are there."""
    return run_script(QUALITY_SCRIPT, needs=DEV_SET)


def run_telegram(*args: str) -> ScriptOutput:
    """Runs bench/telegram_bench.py (the Telegram adapter against a loopback Bot API), if it is there."""
    return run_script(TELEGRAM_SCRIPT, *args)
