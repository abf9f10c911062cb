"""Tests for `careers-bot ask`, run through the real command line on a small knowledge folder."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from matching_sample import ANSWERS

from bot.cli import main
from bot.config import DEFAULT_CONFIG, load_config
from tests.knowledge.knowledge_edits import copy_valid

KEYS = ["question", "status", "topic", "entry", "score", "alternatives"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config file whose knowledge folder holds the sample answers."""
    folder = tmp_path / "knowledge"
    copy_valid(folder)
    for old in (folder / "answers").glob("*.yaml"):
        old.unlink()
    entries = [
        {
            "id": ident,
            "topic": topic,
            "question": question,
            "examples": list(examples),
            "keywords": list(keywords),
            "answer": "A short answer.",
            "sources": ["https://www.gov.uk/"],
            "reviewed": date(2026, 11, 20),
        }
        for ident, topic, question, examples, keywords in ANSWERS
    ]
    (folder / "answers" / "sample.yaml").write_text(yaml.safe_dump({"answers": entries}), encoding="utf-8")
    path = tmp_path / "config.yaml"
    settings = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    # The shipped thresholds are fitted to the real knowledge; the sample's few answers are read with the
    # sample settings the other matching tests use.
    settings["matching"].update(answer_threshold=0.60, answer_margin=0.04, suggest_threshold=0.38)
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_json_for_one_question(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(config), "ask", "--json", "how much is the physics bursary"])
    records = _json_lines(capsys.readouterr().out)
    assert code == 0
    assert len(records) == 1
    record = records[0]
    assert list(record) == KEYS
    assert record["status"] == "answered"
    assert record["entry"] == "bursary-amounts"
    assert record["topic"] == "bursary_amounts"
    assert isinstance(record["score"], float)
    assert record["score"] == round(record["score"], 3)
    assert isinstance(record["alternatives"], list)
    for alternative in record["alternatives"]:
        assert list(alternative) == ["entry", "topic", "score"]
        assert alternative["entry"] != record["entry"]


def test_batch_file_keeps_order_and_skips_blank_lines(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = ["Do I need a DBS check?", "", "lol", "   ", "am I too old to train at 55"]
    batch = tmp_path / "questions.txt"
    batch.write_text("\n".join(questions) + "\n", encoding="utf-8")
    code = main(["--config", str(config), "ask", "--json", "--batch", str(batch)])
    records = _json_lines(capsys.readouterr().out)
    assert code == 0
    assert [r["question"] for r in records] == [
        "Do I need a DBS check?",
        "lol",
        "am I too old to train at 55",
    ]
    assert [r["entry"] for r in records] == ["dbs-check", None, "age-limit"]
    assert records[1] == {
        "question": "lol",
        "status": "out_of_scope",
        "topic": None,
        "entry": None,
        "score": None,
        "alternatives": [],
    }


def test_batch_from_stdin(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("who pays for the dbs check\n\nwhen is the deadline to apply\n")
    )
    code = main(["--config", str(config), "ask", "--json", "--batch", "-"])
    records = _json_lines(capsys.readouterr().out)
    assert code == 0
    assert [r["entry"] for r in records] == ["dbs-check", "application-timing"]


def test_explanation_for_staff(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["--config", str(config), "ask", "I got a 2:2 in maths, can I still train? also is there a bursary"]
    )
    out = capsys.readouterr().out
    thresholds = load_config(config).matching
    assert code == 0
    assert "entry-degree-class" in out
    assert "Can I train to teach with a 2:2 or a third?" in out
    assert f"{thresholds.answer_threshold:.2f}" in out
    assert f"{thresholds.suggest_threshold:.2f}" in out
    assert "degree class 2:2" in out
    assert "subjects mathematics" in out
    assert "Also asked: bursary-amounts" in out
    assert "closest in words:" in out


def test_usage_errors(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "ask"]) == 2
    assert main(["--config", str(config), "ask", "--batch", "-"]) == 2
    assert main(["--config", str(config), "ask", "--json", "--batch", str(tmp_path / "missing.txt")]) == 1
    assert "missing.txt" in capsys.readouterr().err


def test_broken_knowledge_stops_with_a_message(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (config.parent / "knowledge" / "answers" / "sample.yaml").write_text("answers: [", encoding="utf-8")
    assert main(["--config", str(config), "ask", "--json", "bursary"]) == 1
    assert "careers-bot:" in capsys.readouterr().err
