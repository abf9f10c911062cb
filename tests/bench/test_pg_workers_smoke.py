"""bench/pg_workers.py on a tiny load, so CI proves the multi-worker bench still runs (timing unasserted)."""

from __future__ import annotations

import pytest

from bench.pg_workers import main, measure_all, table


def test_a_tiny_load_is_answered_by_every_store_and_worker_count() -> None:
    runs = measure_all(sessions=3, messages=2, limit=120.0)
    assert [(r.backend, r.workers) for r in runs] == [("SQLite", 1), ("PostgreSQL", 1), ("PostgreSQL", 2)]
    for run in runs:
        assert run.failures == 0, run
        assert run.answered == 6 and run.latency.count == 6 and run.turns_per_second > 0, run
    printed = table(runs, "0.00 0.00 0.00")
    assert printed[0].startswith("| Store | Workers |") and len(printed) == 2 + 3 + 3
    assert printed[-2].startswith("Two PostgreSQL workers against one: ")


def test_out_of_range_arguments_are_refused_in_plain_words(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--sessions", "0"])
    assert stopped.value.code == 2
    assert "keep to 1-1000 sessions" in capsys.readouterr().err
