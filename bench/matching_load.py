"""Matching speed on the real knowledge and on generated knowledge of growing size."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench.latency import Spread, spread
from bench.synthetic import synthetic_knowledge
from bench.workload import misspell
from bot.config import MatchingConfig
from bot.knowledge.model import Knowledge
from bot.matching.index import wordings
from bot.matching.matcher import Matcher

# Each round asks every question once more, with fresh slips so no cached correction hides the cost.
SLIP_SHARE = 0.5
GENERATED, REAL = "generated", "real knowledge"


@dataclass(frozen=True, slots=True)
class MatchingResult:
    """Matching cost for one knowledge base."""

    label: str
    entries: int
    phrasings: int
    index_seconds: float
    latency: Spread


def phrasing_count(knowledge: Knowledge) -> int:
    """Returns how many distinct wordings the matcher scores: questions, examples and asked questions."""
    return sum(len(wordings(a)) for a in knowledge.answers.values())


def _asked(knowledge: Knowledge, questions: Sequence[str], rng: random.Random) -> list[str]:
    """The real questions, plus as many of the knowledge's own phrasings, so some match closely."""
    own = [w for a in knowledge.answers.values() for w in a.examples]
    return [*questions, *rng.sample(own, min(len(own), len(questions)))]


def time_matching(
    label: str, knowledge: Knowledge, config: MatchingConfig, questions: Sequence[str], rounds: int
) -> MatchingResult:
    """Indexes the knowledge, then times every match, in processor time, over rounds passes of the questions.

    Processor time, not wall-clock time, so that other programs on a shared machine do not inflate the tail.
    """
    started = time.perf_counter()
    matcher = Matcher(knowledge, config)
    index_seconds = time.perf_counter() - started
    rng = random.Random(label)
    asked = _asked(knowledge, questions, rng)
    took: list[float] = []
    for _ in range(rounds):
        for question in asked:
            text = misspell(question, rng) if rng.random() < SLIP_SHARE else question
            began = time.thread_time()
            matcher.match(text)
            took.append(time.thread_time() - began)
    return MatchingResult(
        label, len(knowledge.answers), phrasing_count(knowledge), index_seconds, spread(took)
    )


def matching_benchmark(
    real: Knowledge, config: MatchingConfig, questions: Sequence[str], sizes: Sequence[int], rounds: int
) -> list[MatchingResult]:
    """Times matching on generated knowledge of each size, then on the real knowledge."""
    results = [
        time_matching(GENERATED, synthetic_knowledge(real, size), config, questions, rounds) for size in sizes
    ]
    results.append(time_matching(REAL, real, config, questions, rounds))
    return results
