"""Reading the tuning part of the real questions fairly, now that its questions teach the matcher.

knowledge/asked.yaml holds the tuning part's questions as more ways of asking each answer. Scored or fitted
against a matcher that holds them, they would be found word for word. So the tuning pages are dealt into FOLDS
groups, and each group's questions are read by a matcher built without that group's asked questions: what a
page's questions score is what a page the matcher has never seen would score.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

from bot.config import FusionConfig, MatchingConfig
from bot.knowledge.model import Knowledge
from bot.matching.decide import Match, Part
from bot.matching.matcher import Matcher, Reading

FOLDS = 5


def fold_of(url: str) -> int:
    """The group a page falls in, by a hash of its address salted so that it does not follow the split."""
    return int(hashlib.sha256(f"fold:{url}".encode()).hexdigest(), 16) % FOLDS


def without_fold(knowledge: Knowledge, fold: int) -> Knowledge:
    """The knowledge without the asked questions from the fold's pages."""
    answers = {
        key: replace(entry, asked=tuple(q for q in entry.asked if fold_of(q.url) != fold))
        for key, entry in knowledge.answers.items()
    }
    return replace(knowledge, answers=answers)


def fold_matchers(knowledge: Knowledge, config: MatchingConfig) -> list[Matcher]:
    """One matcher per fold, each built without that fold's asked questions."""
    return [Matcher(without_fold(knowledge, fold), config) for fold in range(FOLDS)]


class HeldOutReadings:
    """The tuning questions, each read, fused and decided by the matcher that has not seen its page."""

    def __init__(self, matchers: Sequence[Matcher], questions: Sequence[tuple[str, str]]) -> None:
        self.config = matchers[0].config
        self.readings: list[Reading] = []
        self._owners: dict[int, Matcher] = {}
        for text, url in questions:
            matcher = matchers[fold_of(url)]
            reading = matcher.read(text)
            self.readings.append(reading)
            self._owners[id(reading)] = matcher

    def fuse(self, reading: Reading, fusion: FusionConfig) -> list[Part]:
        """Fuses one reading's evidence with the matcher that read it."""
        return self._owners[id(reading)].fuse(reading, fusion)

    def decide(self, reading: Reading, config: MatchingConfig | None = None) -> Match:
        """Decides one reading with the matcher that read it."""
        return self._owners[id(reading)].decide(reading, config)
