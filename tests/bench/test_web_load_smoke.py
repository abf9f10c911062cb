"""bench/web_load.py on a tiny load, so CI proves the load generator works (no timing is asserted)."""

from __future__ import annotations

from bench.web_load import measure, report_lines, schedule


def test_the_schedule_sends_each_round_of_messages_after_the_last() -> None:
    due = schedule(sessions=3, messages=2, rate=3.0)
    assert due == [[0.0, 1.0], [1 / 3, 4 / 3], [2 / 3, 5 / 3]]
    assert schedule(2, 2, 0) == [[-1.0, -1.0], [-1.0, -1.0]]


def test_a_tiny_load_gets_every_message_answered() -> None:
    report = measure(sessions=4, messages=2, rate=20.0, timeout=60.0)
    assert report.failures == 0
    assert report.statuses == {200: 8}
    assert report.latency.count == 8 and report.server_cpu_ms > 0
    assert "4 browsers x 2 messages" in report_lines(report)[0]
