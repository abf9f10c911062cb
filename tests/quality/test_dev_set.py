"""The quality gate: how well the real matcher understands the labelled development questions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bench.quality import OUT_OF_SCOPE, DevQuestion, load_dev_set
from bot.matching.decide import Match, MatchStatus

if TYPE_CHECKING:
    from bot.core.content import Content

DEV_SET = Path(__file__).resolve().parent.parent / "data" / "dev_questions.yaml"

# The gate. Lower these only with a written reason: they are the bar for "understands people".
TOP1_GATE = 0.90
TOP3_GATE = 0.97
DECLINED_GATE = 0.80
# The dev set has to stay big and broad enough for the figures above to mean something.
MIN_IN_SCOPE = 220
MIN_OFF_TOPIC = 45
MIN_ENTRY_COVERAGE = 0.85
MAX_MISSES_SHOWN = 60
# The matcher does not yet meet these gates (measured: top-1 79.5%, top-3 96.1%, off-topic declined 77.6%).
# strict: the day a gate is met this marker fails the run, so it has to be removed and the gate then holds.
# Delete the marker to make the gate block the build; run bench/quality.py --misses to see what is missed.
BELOW_GATE = pytest.mark.xfail(
    strict=True, reason="the matcher is below this quality gate; see bench/quality.py"
)


@pytest.fixture(scope="module")
def dev() -> tuple[DevQuestion, ...]:
    """The labelled development questions."""
    return tuple(load_dev_set(DEV_SET))


@pytest.fixture(scope="module")
def verdicts(content: Content, dev: tuple[DevQuestion, ...]) -> list[tuple[DevQuestion, Match]]:
    """Every dev question paired with the real matcher's verdict on it."""
    return [(q, content.matcher.match(q.text)) for q in dev]


def top1_hit(question: DevQuestion, match: Match) -> bool:
    """True when the best entry is one the label accepts."""
    return match.best is not None and match.best.entry in question.accepted


def top3_hit(question: DevQuestion, match: Match) -> bool:
    """True when an accepted entry is the best or one of the alternatives offered."""
    offered = ([match.best] if match.best else []) + list(match.alternatives)
    return any(c.entry in question.accepted for c in offered[:3])


def declined(match: Match) -> bool:
    """True when the bot would not give an in-scope answer."""
    if match.status in (MatchStatus.OUT_OF_SCOPE, MatchStatus.NO_MATCH):
        return True
    return match.best is not None and match.best.topic == OUT_OF_SCOPE


def got(match: Match) -> str:
    """A short description of a verdict for failure messages."""
    best = f"{match.best.entry} ({match.best.score:.2f})" if match.best else "nothing"
    others = ", ".join(c.entry for c in match.alternatives)
    return f"{match.status}: {best}" + (f"; then {others}" if others else "")


def rate_and_misses(
    pairs: Sequence[tuple[DevQuestion, Match]], hit: Callable[[DevQuestion, Match], bool]
) -> tuple[float, list[str]]:
    """Returns the share of pairs that hit, and one line per miss."""
    misses = [
        f"- {q.text!r}\n    expected {q.expect}{' or ' + ', '.join(q.also) if q.also else ''}; got {got(m)}"
        for q, m in pairs
        if not hit(q, m)
    ]
    return 1 - len(misses) / len(pairs), misses


def report(name: str, rate: float, gate: float, misses: list[str]) -> str:
    """The failure message: the rate, the gate and the misses."""
    shown = "\n".join(misses[:MAX_MISSES_SHOWN])
    more = f"\n... and {len(misses) - MAX_MISSES_SHOWN} more" if len(misses) > MAX_MISSES_SHOWN else ""
    return f"{name} {rate:.1%} is under the gate of {gate:.0%}; {len(misses)} misses:\n{shown}{more}"


def test_dev_set_is_big_and_well_formed(dev: tuple[DevQuestion, ...]) -> None:
    in_scope = [q for q in dev if not q.off_topic]
    assert len(in_scope) >= MIN_IN_SCOPE
    assert len(dev) - len(in_scope) >= MIN_OFF_TOPIC
    texts = [q.text for q in dev]
    assert len(set(texts)) == len(texts), "a question appears twice"
    # The benchmark sends one question a line to the command line.
    assert not [t for t in texts if "\n" in t or not t.strip()]
    assert not [q.text for q in dev if q.off_topic and q.also]


def test_every_label_names_an_entry(content: Content, dev: tuple[DevQuestion, ...]) -> None:
    known = set(content.knowledge.answers)
    unknown = [(q.text, sorted(q.accepted - known)) for q in dev if not q.off_topic and q.accepted - known]
    assert not unknown, f"labels that name no answer entry: {unknown}"


def test_dev_set_covers_most_entries(content: Content, dev: tuple[DevQuestion, ...]) -> None:
    asked = {q.expect for q in dev}
    answers = content.knowledge.answers
    in_scope = {e for e, entry in answers.items() if entry.topic != OUT_OF_SCOPE}
    missing = sorted(in_scope - asked)
    assert 1 - len(missing) / len(in_scope) >= MIN_ENTRY_COVERAGE, f"entries nobody asks about: {missing}"


def test_top1_meets_the_gate(verdicts: list[tuple[DevQuestion, Match]]) -> None:
    in_scope = [(q, m) for q, m in verdicts if not q.off_topic]
    rate, misses = rate_and_misses(in_scope, top1_hit)
    assert rate >= TOP1_GATE, report("top-1", rate, TOP1_GATE, misses)


def test_top3_meets_the_gate(verdicts: list[tuple[DevQuestion, Match]]) -> None:
    in_scope = [(q, m) for q, m in verdicts if not q.off_topic]
    rate, misses = rate_and_misses(in_scope, top3_hit)
    assert rate >= TOP3_GATE, report("top-3", rate, TOP3_GATE, misses)


def test_off_topic_questions_are_declined(verdicts: list[tuple[DevQuestion, Match]]) -> None:
    off_topic = [(q, m) for q, m in verdicts if q.off_topic]
    rate, misses = rate_and_misses(off_topic, lambda _q, m: declined(m))
    assert rate >= DECLINED_GATE, report("off-topic declined", rate, DECLINED_GATE, misses)
