"""The benchmark command: engine load, matching cost, start-up, memory and answer quality in one table.

Usage: python bench/run.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, the bench package sits beside this file's folder
    sys.path.insert(0, str(ROOT))

from bench.engine_load import EngineReport, engine_benchmark  # noqa: E402
from bench.footprint import semantic_footprint  # noqa: E402
from bench.matching_load import MatchingResult, matching_benchmark  # noqa: E402
from bench.quality_summary import compare  # noqa: E402
from bench.scripts import ScriptOutput, run_probe, run_quality, run_telegram  # noqa: E402
from bench.table import MISS, Row, judged, render  # noqa: E402
from bench.workload import load_questions  # noqa: E402
from bot.config import Config, load_config  # noqa: E402
from bot.core.content import load_content  # noqa: E402

# Targets with the sentence-embedding model in the loop: every turn is embedded once on this 2-core machine.
TARGET_TURNS_PER_SECOND = 400
TARGET_THROUGHPUT_AT = 100  # people writing at once
TARGET_TURN_P99_MS = 30.0
TARGET_STARTUP_SECONDS = 1.5  # imports and loading, with the examples' vectors already in the cache
TARGET_RSS_MB = 300


class LogTally(logging.Handler):
    """Counts warnings and errors logged during the run instead of printing each one."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Counts the record and keeps the first message."""
        self.count += 1
        if self.first is None:
            self.first = f"{record.levelname} {record.name}: {record.getMessage()}"


@dataclass(frozen=True, slots=True)
class Plan:
    """How big each part of the run is."""

    sessions: int
    levels: tuple[int, ...]
    turns: int
    sizes: tuple[int, ...]
    rounds: int
    probe_turns: int
    quality: bool = True
    telegram: bool = True
    telegram_args: tuple[str, ...] = ()


FULL = Plan(
    sessions=100_000, levels=(1, 100, 1000), turns=8000, sizes=(100, 1000, 10_000), rounds=5, probe_turns=1000
)
QUICK = Plan(
    sessions=10_000,
    levels=(1, 100, 1000),
    turns=2000,
    sizes=(100, 1000, 10_000),
    rounds=2,
    probe_turns=1000,
    telegram_args=("--users", "20", "--messages", "3"),
)


def engine_rows(report: EngineReport) -> list[Row]:
    """Rows for throughput and turn latency at each level of concurrency."""
    rows = [
        Row("Stored sessions seeded (save_session loop)", f"{report.seeded:,} in {report.seed_seconds:.1f} s")
    ]
    for level in report.levels:
        who = f"{level.users:,} {'person' if level.users == 1 else 'people'} at once"
        rate, per_cpu = level.turns_per_second, level.turns_per_cpu_second
        if level.errors:
            rows.append(
                Row(f"Turns answered with the error reply, {who}", f"{level.errors:,} of {level.turns:,}")
            )
        throughput = f"{rate:,.0f} turns/s ({per_cpu:,.0f} per CPU-second)"
        if level.users == TARGET_THROUGHPUT_AT:
            rows.append(
                judged(
                    f"Engine throughput, {who}",
                    throughput,
                    f">= {TARGET_TURNS_PER_SECOND:,}",
                    rate >= TARGET_TURNS_PER_SECOND,
                )
            )
        else:
            rows.append(Row(f"Engine throughput, {who}", throughput))
        latency = f"p50 {level.latency.p50_ms:.2f} ms, p99 {level.latency.p99_ms:.2f} ms"
        if level.users == 1:
            rows.append(
                judged(
                    f"Turn latency, {who}",
                    latency,
                    f"p99 < {TARGET_TURN_P99_MS:g} ms",
                    level.latency.p99_ms < TARGET_TURN_P99_MS,
                )
            )
        else:
            rows.append(Row(f"Turn latency, {who} (with queueing)", latency))
    return rows


def matching_rows(results: Sequence[MatchingResult]) -> list[Row]:
    """Rows for matching latency at each knowledge size."""
    rows = []
    for result in results:
        measure = (
            f"Matching (CPU), {result.label}: {result.entries:,} entries, {result.phrasings:,} phrasings"
        )
        figure = (
            f"p50 {result.latency.p50_ms:.2f} ms, p99 {result.latency.p99_ms:.2f} ms; "
            f"index {result.index_seconds * 1000:.0f} ms"
        )
        rows.append(Row(measure, figure))
    return rows


def startup_rows(figures: dict[str, float], cold: dict[str, float]) -> list[Row]:
    """Rows for start-up time and peak memory of a fresh process, with a warm and an empty embedding cache."""
    load, rss = figures["load_seconds"], figures["max_rss_mb"]
    started = figures["import_seconds"] + load
    return [
        judged(
            "Start-up, warm embedding cache: imports and loading the real knowledge",
            f"{started:.2f} s (imports {figures['import_seconds']:.2f} s, loading {load:.2f} s)",
            f"< {TARGET_STARTUP_SECONDS:g} s",
            started < TARGET_STARTUP_SECONDS,
        ),
        Row(
            "Start-up, empty embedding cache (after a knowledge or model change)",
            f"{cold['import_seconds'] + cold['load_seconds']:.2f} s",
        ),
        judged(
            f"Peak RSS after loading and {figures['turns']:,.0f} turns",
            f"{rss:.0f} MB",
            f"< {TARGET_RSS_MB} MB",
            rss < TARGET_RSS_MB,
        ),
    ]


def footprint_row(config: Config) -> Row:
    """A row for the disk space the semantic signal's libraries and model take."""
    parts = semantic_footprint(config.matching.model_dir)
    each = ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in parts.items())
    return Row("Install size of the semantic signal", f"{sum(parts.values()) / 1e6:.0f} MB ({each})")


# The heading bench/quality.py prints above the figures that judge the bot: the real questions' test part.
REAL_TEST_PART = "Real questions, test part"


def quality_rows(quality: ScriptOutput) -> list[Row]:
    """Rows for the quality evaluation's headline figures, each judged against every baseline that ran."""
    target = "above every baseline"
    if not quality.ran:
        return [Row("Answer quality on the development set", quality.text, target)]
    found = compare(quality.text, REAL_TEST_PART) if quality.ok else []
    if not found:
        return [Row("Answer quality on the development set", "no figures (see below)", target, MISS)]
    return [
        judged(
            f"Quality on real questions (test part): {c.measure}",
            f"{c.bot:.1f}% ("
            + ", ".join(f"{name} {value:.1f}%" for name, value in c.baselines.items())
            + ")",
            "higher than every baseline" if c.higher_is_better else "lower than every baseline",
            c.ahead,
        )
        for c in found
    ]


async def _engine(config: Config, plan: Plan, questions: Sequence[str]) -> EngineReport:
    content = load_content(config)
    with tempfile.TemporaryDirectory(prefix="careers-bot-bench-") as folder:
        return await engine_benchmark(
            config, content, Path(folder), questions, plan.sessions, plan.levels, plan.turns
        )


def measure(plan: Plan, config: Config) -> tuple[list[Row], ScriptOutput]:
    """Runs every part of the plan and returns the table rows and the quality evaluation's output."""
    questions = load_questions()
    report = asyncio.run(_engine(config, plan, questions))
    real = load_content(config).knowledge
    matching = matching_benchmark(real, config.matching, questions, plan.sizes, plan.rounds)
    figures = run_probe(plan.probe_turns)
    cold = run_probe(1, cold=True)
    quality = run_quality() if plan.quality else ScriptOutput(False, False, "Not run.")
    rows = [*engine_rows(report), *matching_rows(matching), *startup_rows(figures, cold)]
    rows += [footprint_row(config), *quality_rows(quality)]
    return rows, quality


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmarks and prints the results table, then the quality table."""
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, about 30 seconds in all")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    tally = LogTally()
    logging.basicConfig(level=logging.WARNING, handlers=[tally], force=True)
    started = time.perf_counter()
    rows, quality = measure(plan, load_config(ROOT / "config.yaml", environ={}))
    print(render(rows))
    print(
        f"\nRun: {'quick' if args.quick else 'full'}, {time.perf_counter() - started:.0f} s on {_machine()}."
    )
    print("Latency with many people at once includes the wait behind turns already queued.")
    if tally.count:
        print(f"Warnings and errors logged during the run: {tally.count:,}; the first was: {tally.first}")
    print("\n## Answer quality (bench/quality.py)\n")
    print(quality.text)
    if plan.telegram:
        print("\n## Telegram adapter (bench/telegram_bench.py)\n")
        print(run_telegram(*plan.telegram_args).text)
    return 0


def _machine() -> str:
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return f"Python {platform.python_version()}, {os.cpu_count()} CPU(s), load average now {load}"


if __name__ == "__main__":
    sys.exit(main())
