"""knowledge/asked.yaml: tuning-part questions teach the matcher, and the test part never does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bench.heldout import FOLDS, HeldOutReadings, fold_matchers, fold_of, without_fold
from bot.config import Config
from bot.core.content import Content

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "data" / "real_questions.yaml"
ASKED = ROOT / "knowledge" / "asked.yaml"


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


@pytest.fixture(scope="module")
def real_rows() -> list[dict[str, object]]:
    """The rows of the real-question set."""
    rows: list[dict[str, object]] = yaml.safe_load(REAL.read_text(encoding="utf-8"))["questions"]
    return rows


def test_every_asked_question_is_a_tuning_question_under_an_answer_its_row_accepts(
    content: Content, real_rows: list[dict[str, object]]
) -> None:
    tuning = {(_words(str(r["text"])), str(r["url"])): r for r in real_rows if r["split"] == "tune"}
    asked = [(entry, q) for entry in content.knowledge.answers.values() for q in entry.asked]
    assert len(asked) >= 300
    for entry, question in asked:
        row = tuning.get((_words(question.text), question.url))
        assert row is not None, f"{question.origin.file}:{question.origin.line} is not a tuning question"
        accepted = {str(row["expect"]), *(str(a) for a in row.get("also") or [])}  # type: ignore[attr-defined]
        assert entry.id in accepted, f"{question.origin.line}: {entry.id} is not an answer its row accepts"


def test_no_test_question_is_an_example_or_an_asked_question(
    content: Content, real_rows: list[dict[str, object]]
) -> None:
    test_texts = {_words(str(r["text"])) for r in real_rows if r["split"] == "test"}
    test_pages = {str(r["url"]) for r in real_rows if r["split"] == "test"}
    for entry in content.knowledge.answers.values():
        for example in (entry.question, *entry.examples):
            assert _words(example) not in test_texts, f"{entry.id} has a test-part question as an example"
        for question in entry.asked:
            assert _words(question.text) not in test_texts, f"{entry.id} was taught a test-part question"
            assert question.url not in test_pages, f"{entry.id} was taught a question from a test page"


def test_asked_file_is_what_the_copying_script_writes() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "copy_asked.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_each_fold_holds_out_exactly_the_asked_questions_of_its_pages(content: Content) -> None:
    knowledge = content.knowledge
    every = [q for e in knowledge.answers.values() for q in e.asked]
    kept = 0
    for fold in range(FOLDS):
        left = [q for e in without_fold(knowledge, fold).answers.values() for q in e.asked]
        assert all(fold_of(q.url) != fold for q in left)
        assert len(left) == sum(fold_of(q.url) != fold for q in every)
        kept += len(every) - len(left)
    assert kept == len(every)  # every asked question is held out by exactly one fold


def test_a_held_out_question_is_not_found_word_for_word(config: Config, content: Content) -> None:
    entry = next(e for e in content.knowledge.answers.values() if len(e.asked) >= 2)
    question = entry.asked[0]
    seen = content.matcher.match(question.text).best
    assert seen is not None and seen.semantic == pytest.approx(1.0, abs=1e-3)  # taught, it finds itself
    held = HeldOutReadings(fold_matchers(content.knowledge, config.matching), [(question.text, question.url)])
    best = held.decide(held.readings[0]).best
    assert best is None or best.semantic < 0.99  # held out, it has to be understood like a new question
