"""A fresh process that loads the real knowledge, handles some turns and reports its time and memory as JSON.

Run as `python -m bench.probe [TURNS] [--cold]` from the project folder; bench/run.py starts it.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def probe(turns: int, cold: bool = False) -> dict[str, float]:
    """Times the imports and load_content, handles turns on a new SQLite file, and returns the figures.

    With cold, the examples' vectors are not read from the embedding cache but embedded afresh, as on the
    first start after a knowledge or model change.
    """
    started = time.perf_counter()
    from bench.engine_load import build_engine, run_level
    from bench.workload import load_questions
    from bot.app import conversation_store
    from bot.config import load_config
    from bot.core.content import load_content

    imported = time.perf_counter()
    config = load_config(ROOT / "config.yaml", environ={})
    if cold:
        with tempfile.TemporaryDirectory() as empty:
            config = replace(config, matching=replace(config.matching, embedding_cache=Path(empty)))
            content = load_content(config)
    else:
        content = load_content(config)
    loaded = time.perf_counter()

    async def talk(folder: Path) -> None:
        store = conversation_store(folder / "probe.sqlite3")
        await store.open()
        try:
            engine = build_engine(config, content, store)
            await run_level(engine, load_questions(), users=10, turns=turns, seeded=0, seed=1)
        finally:
            await store.close()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(talk(Path(folder)))
    return {
        "import_seconds": imported - started,
        "load_seconds": loaded - imported,
        "turns": turns,
        "turn_seconds": time.perf_counter() - loaded,
        "max_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """Returns this process's own peak resident memory in MB.

    getrusage's ru_maxrss is no good here: a started process's figure begins at what its starter held when it
    forked, so under bench/run.py it reported the benchmark's own memory. VmHWM in /proc is the peak
    of this program's memory alone; where there is no /proc, ru_maxrss is the fallback.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    """Prints the probe's figures as one JSON object; `--cold` starts with an empty embedding cache."""
    cold = "--cold" in argv
    numbers = [a for a in argv if a != "--cold"]
    turns = int(numbers[0]) if numbers else 1000
    print(json.dumps(probe(turns, cold)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
