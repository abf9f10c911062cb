"""How well questions were answered, by topic, and what people thought of each answer."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.reports.records import is_typed_question, rate
from bot.storage.base import FeedbackRecord, TurnRecord

NO_TOPIC = ""  # questions with no candidate answer at all


@dataclass(frozen=True, slots=True)
class TopicQuality:
    """The outcomes of typed questions whose best candidate answer was in one topic."""

    topic: str
    answered: int
    suggested: int
    no_match: int
    out_of_scope: int

    @property
    def questions(self) -> int:
        """Every typed question counted for this topic."""
        return self.answered + self.suggested + self.no_match + self.out_of_scope

    @property
    def answered_rate(self) -> float:
        """The share of this topic's questions answered straight away."""
        return rate(self.answered, self.questions)


@dataclass(frozen=True, slots=True)
class EntryFeedback:
    """Thumbs up and down given on one answer."""

    entry: str
    topic: str
    helpful: int
    not_helpful: int


def topic_quality(turns: Iterable[TurnRecord]) -> list[TopicQuality]:
    """Counts typed questions by topic and outcome, most asked first."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for turn in turns:
        if is_typed_question(turn):
            counts[turn.topic or NO_TOPIC][turn.status] += 1
    rows = [
        TopicQuality(topic, c["answered"], c["suggested"], c["no_match"], c["out_of_scope"])
        for topic, c in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row.questions, row.topic))


def entry_topics(turns: Iterable[TurnRecord]) -> dict[str, str]:
    """Returns the topic logged with each answer entry."""
    return {turn.entry: turn.topic for turn in turns if turn.entry and turn.topic}


def entry_feedback(feedback: Iterable[FeedbackRecord], topics: Mapping[str, str]) -> list[EntryFeedback]:
    """Counts thumbs up and down per answer entry, most feedback first."""
    up: Counter[str] = Counter()
    down: Counter[str] = Counter()
    for record in feedback:
        (up if record.helpful else down)[record.entry] += 1
    rows = [EntryFeedback(e, topics.get(e, NO_TOPIC), up[e], down[e]) for e in set(up) | set(down)]
    return sorted(rows, key=lambda row: (-(row.helpful + row.not_helpful), row.entry))
