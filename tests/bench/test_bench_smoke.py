"""The benchmark command's parts, run on tiny sizes so CI proves they work (no timing is asserted)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.engine_load import engine_benchmark
from bench.footprint import installed_bytes, semantic_footprint
from bench.latency import percentile, spread
from bench.matching_load import GENERATED, REAL, matching_benchmark, phrasing_count
from bench.quality_summary import compare
from bench.run import Plan, measure
from bench.seeding import SEEDED_CHANNEL, seeded_user
from bench.synthetic import synthetic_knowledge
from bench.table import MISS, PASS, Row, render
from bench.workload import load_questions, misspell
from bot.config import Config
from bot.core.content import Content
from bot.matching.matcher import Matcher
from bot.storage.sqlite import SqliteStore

TINY = Plan(
    sessions=30,
    levels=(1, 3),
    turns=12,
    sizes=(100,),
    rounds=1,
    probe_turns=10,
    quality=False,
    telegram=False,
)

# The shape of the overall table bench/quality.py prints.
QUALITY_TABLE = """Dev set: dev.yaml (10 in scope, 2 off topic)

                                     bot        wratio          bm25        minilm
top-1 (in scope)                   80.0%         10.0%         70.0% not installed
top-3 (in scope)                   90.0%         20.0%         95.0% not installed
off-topic declined                 50.0%          0.0%         50.0% not installed
confidently wrong (all)             5.0%         90.0%         20.0% not installed
"""


def test_the_question_list_mixes_short_and_long_questions() -> None:
    questions = load_questions()
    lengths = sorted(len(q.split()) for q in questions)
    assert len(questions) >= 40
    assert lengths[0] <= 3
    assert lengths[-1] >= 30


def test_a_slip_changes_a_question_by_one_letter() -> None:
    rng = random.Random(3)
    questions = load_questions()
    slipped = [misspell(question, rng) for question in questions]
    assert all(abs(len(s) - len(q)) <= 1 for s, q in zip(slipped, questions, strict=True))
    assert sum(s != q for s, q in zip(slipped, questions, strict=True)) >= 0.9 * len(questions)


def test_percentiles_use_the_nearest_rank() -> None:
    durations = [n / 1000 for n in range(100, 0, -1)]
    assert percentile(durations, 0.50) == pytest.approx(50)
    assert percentile(durations, 0.99) == pytest.approx(99)
    summary = spread(durations)
    assert summary.count == 100
    assert summary.max_ms == pytest.approx(100)


async def test_the_engine_benchmark_runs_every_level_on_a_seeded_store(
    config: Config, content: Content, tmp_path: Path
) -> None:
    report = await engine_benchmark(config, content, tmp_path, load_questions(), 30, (1, 3), 12)
    assert [level.users for level in report.levels] == [1, 3]
    assert [level.turns for level in report.levels] == [12, 12]
    assert all(level.latency.count == level.turns for level in report.levels)
    store = SqliteStore(tmp_path / "bench.sqlite3")
    await store.open()
    try:
        assert await store.get_session(SEEDED_CHANNEL, seeded_user(29)) is not None
        assert await store.get_session(SEEDED_CHANNEL, seeded_user(30)) is None
    finally:
        await store.close()


def test_generated_knowledge_has_the_phrasings_asked_for_and_each_finds_its_entry(content: Content) -> None:
    knowledge = synthetic_knowledge(content.knowledge, 100)
    assert phrasing_count(knowledge) == 100
    assert set(knowledge.answers).isdisjoint(content.knowledge.answers)
    matcher = Matcher(knowledge, content.matcher.config)
    for entry in list(knowledge.answers.values())[:5]:
        found = matcher.match(entry.examples[0])
        assert found.best is not None
        assert found.best.entry == entry.id


def test_the_matching_benchmark_times_generated_and_real_knowledge(config: Config, content: Content) -> None:
    questions = load_questions()[:10]
    results = matching_benchmark(content.knowledge, config.matching, questions, (100,), rounds=2)
    assert [(r.label, r.phrasings) for r in results] == [
        (GENERATED, 100),
        (REAL, phrasing_count(content.knowledge)),
    ]
    assert all(r.latency.count == 2 * 20 for r in results)


def test_quality_figures_are_read_and_judged_against_each_baseline() -> None:
    found = {c.measure: c for c in compare(QUALITY_TABLE)}
    assert found["top-1 (in scope)"].baselines == {"wratio": 10.0, "bm25": 70.0}
    assert found["top-1 (in scope)"].ahead
    assert not found["top-3 (in scope)"].ahead
    assert not found["off-topic declined"].ahead
    assert found["confidently wrong (all)"].ahead
    assert compare("bench/quality.py exited with 1") == []


def test_the_table_lines_up_its_columns() -> None:
    table = render([Row("short", "1", "2", PASS), Row("a longer measure", "12,345 turns/s", "> 1", MISS)])
    lines = table.splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[2].startswith("| short ")
    assert lines[3].endswith("| MISS |")


def test_the_whole_command_measures_every_part_on_tiny_sizes(config: Config) -> None:
    rows, quality = measure(TINY, config)
    measures = [row.measure for row in rows]
    assert sum("Engine throughput" in m for m in measures) == 2
    assert sum(m.startswith("Matching (CPU), ") for m in measures) == 2
    assert any(m.startswith("Start-up, warm embedding cache") for m in measures)
    assert any(m.startswith("Start-up, empty embedding cache") for m in measures)
    assert any(m.startswith("Peak RSS") for m in measures)
    assert any(m.startswith("Install size") for m in measures)
    assert not quality.ran


def test_the_install_size_counts_the_libraries_and_the_model_and_nothing_missing(config: Config) -> None:
    assert config.matching.model_dir is not None
    parts = semantic_footprint(config.matching.model_dir)
    model = next(config.matching.model_dir.rglob("*.onnx"))
    assert parts["onnxruntime"] > 1_000_000 and parts["tokenizers"] > 100_000
    assert parts["model"] > model.stat().st_size
    assert installed_bytes("no-such-distribution-here") == 0
