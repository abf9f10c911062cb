"""The example questions a new user is shown, in the greeting and the README, are answered outright."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.core.content import Content
from bot.matching.decide import MatchStatus

ROOT = Path(__file__).resolve().parents[2]
# The entries that answer what the examples ask: a bursary's amount, and whether a degree class is enough.
EXPECTED_TOPICS = {"bursary_amounts", "entry_degree_class"}


def greeting_examples() -> list[str]:
    """The quoted questions in the greeting message."""
    greeting = yaml.safe_load((ROOT / "knowledge" / "messages" / "core.yaml").read_text(encoding="utf-8"))
    return re.findall(r'"([^"]+)"', greeting["greeting"])


def readme_examples() -> list[str]:
    """The questions the README's first section tells a new user to type, and the ones it pipes in."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
    typed = re.findall(r"for example `([^`]+)` or `([^`]+)`", " ".join(section.split()))
    piped = re.findall(r"printf '([^']+)'", section)
    return [q for pair in typed for q in pair] + [q for line in piped for q in line.split("\\n") if q]


def test_the_examples_are_found() -> None:
    assert len(greeting_examples()) >= 2
    assert len(readme_examples()) >= 4


@pytest.mark.parametrize("question", [*greeting_examples(), *readme_examples()])
def test_a_shown_example_is_answered_outright(content: Content, question: str) -> None:
    match = content.matcher.match(question)
    assert match.status is MatchStatus.ANSWERED, (question, match.status, match.best)
    assert match.best is not None and match.best.topic in EXPECTED_TOPICS, (question, match.best)
