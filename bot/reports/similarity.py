"""Grouping the questions the bot could not answer by how alike their words are."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, utils

from bot.reports.records import is_unanswered
from bot.storage.base import TurnRecord

# token_set_ratio (0-100) at or above which two questions are counted as the same question.
SAME_QUESTION = 80.0


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Questions asked in much the same words: how often, and one of them as an example."""

    example: str
    count: int
    variants: int  # how many different wordings were grouped


def unanswered_texts(turns: Iterable[TurnRecord]) -> list[str]:
    """Returns the typed questions that got only suggestions or no answer."""
    return [turn.text for turn in turns if is_unanswered(turn)]


def group_similar(
    texts: Iterable[str], stop_words: Collection[str] = (), threshold: float = SAME_QUESTION
) -> list[QuestionGroup]:
    """Clusters questions whose words overlap closely, biggest group first, each with its usual wording."""
    keys: Counter[str] = Counter()
    wording: dict[str, str] = {}
    for text in texts:
        key = _key(text, stop_words)
        if key:
            keys[key] += 1
            wording.setdefault(key, text.strip())
    leaders: list[str] = []
    members: dict[str, list[str]] = {}
    for key, _count in sorted(keys.items(), key=lambda item: (-item[1], item[0])):
        leader = _closest(key, leaders, threshold)
        if leader is None:
            leaders.append(key)
            members[key] = [key]
        else:
            members[leader].append(key)
    groups = [
        QuestionGroup(wording[leader], sum(keys[k] for k in members[leader]), len(members[leader]))
        for leader in leaders
    ]
    return sorted(groups, key=lambda group: -group.count)


def _key(text: str, stop_words: Collection[str]) -> str:
    """Returns the words that carry the meaning, lower case, without punctuation or stop words."""
    words = utils.default_process(text).split()
    kept = [word for word in words if word not in stop_words]
    return " ".join(kept or words)


def _closest(key: str, leaders: Iterable[str], threshold: float) -> str | None:
    best, best_score = None, threshold
    for leader in leaders:
        score = fuzz.token_set_ratio(key, leader, score_cutoff=best_score)
        if score >= best_score and (best is None or score > best_score):
            best, best_score = leader, score
    return best
