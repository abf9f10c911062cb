"""Reading knowledge/asked.yaml: each real question joins its answer, and every mistake is named."""

from __future__ import annotations

from pathlib import Path

from knowledge_edits import TODAY

from bot.knowledge.checks import check_knowledge
from bot.knowledge.loader import load_knowledge


def _write(kb: Path, body: str) -> None:
    (kb / "asked.yaml").write_text("asked:\n" + body, encoding="utf-8")


def _an_answer(kb: Path) -> str:
    return sorted(load_knowledge(kb, TODAY).answers)[0]


def test_a_folder_without_asked_questions_loads(kb: Path) -> None:
    assert not any(e.asked for e in load_knowledge(kb, TODAY).answers.values())


def test_asked_questions_join_their_answer_word_for_word(kb: Path) -> None:
    answer = _an_answer(kb)
    text = "Is {this} really how it works?\\nAsking for a friend"
    _write(kb, f'  - answer: {answer}\n    text: "{text}"\n    url: "http://example.org/thread/1"\n')
    loaded = load_knowledge(kb, TODAY).answers[answer]
    assert [q.text for q in loaded.asked] == ["Is {this} really how it works?\nAsking for a friend"]
    assert loaded.asked[0].url == "http://example.org/thread/1"
    assert loaded.asked[0].origin.file == "asked.yaml"


def test_an_unknown_answer_is_an_error_on_its_line(kb: Path) -> None:
    _write(kb, '  - answer: no-such-answer\n    text: "hello?"\n    url: "https://example.org/a"\n')
    problems = [p for p in check_knowledge(kb, TODAY) if p.file == "asked.yaml"]
    assert [(p.severity, p.line) for p in problems] == [("error", 2)]
    assert "no-such-answer" in str(problems[0])


def test_missing_fields_a_bad_address_and_unknown_fields_are_each_named(kb: Path) -> None:
    answer = _an_answer(kb)
    _write(
        kb,
        f'  - answer: {answer}\n    url: "https://example.org/a"\n'
        f'  - answer: {answer}\n    text: "hi?"\n    url: "ftp://example.org/a"\n'
        f'  - answer: {answer}\n    text: "hi?"\n    url: "https://example.org/a"\n    when: 2020\n',
    )
    problems = [str(p) for p in check_knowledge(kb, TODAY) if p.file == "asked.yaml"]
    assert any("'text'" in p and "missing" in p for p in problems), problems
    assert any("'url'" in p and "address of the page" in p for p in problems), problems
    assert any("'when'" in p and "unknown field" in p for p in problems), problems
