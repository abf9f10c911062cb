"""Made-up answer entries of realistic length, to see how matching cost grows with the knowledge."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from types import MappingProxyType

from bot.knowledge.model import TOPICS, AnswerEntry, Knowledge, Origin
from bot.matching.normalise import words

# Roughly what the real knowledge has: about nine ways of asking each entry.
PHRASINGS_PER_ENTRY = 9
# Real phrasings run from a few words to a long paragraph; most are 8 to 20 words.
SHORTEST, LONGEST = 4, 40
# A larger knowledge base also speaks of more things: this many new words per entry.
NEW_WORDS_PER_ENTRY = 3
_ORIGIN = Origin("answers/synthetic.yaml", 1)
_REVIEWED = date(2026, 11, 1)
_SYLLABLES = ("ba", "ce", "di", "fo", "gu", "ka", "le", "mi", "no", "pu", "ra", "se", "ti", "vo", "wy", "zer")


def real_vocabulary(knowledge: Knowledge) -> tuple[list[str], list[str]]:
    """Returns the content words and the stop words used in the real answer phrasings."""
    stops = {w for phrase in knowledge.stop_words for w in words(phrase)}
    seen: dict[str, None] = {}
    for entry in knowledge.answers.values():
        for wording in (entry.question, *entry.examples):
            seen.update(dict.fromkeys(words(wording)))
    content = sorted(w for w in seen if w not in stops)
    return content, sorted(stops & set(seen)) or sorted(stops)


def synthetic_knowledge(base: Knowledge, phrasings: int, seed: int = 7) -> Knowledge:
    """Returns the base knowledge with its answers swapped for generated entries with this many phrasings."""
    rng = random.Random(seed)
    content, stops = real_vocabulary(base)
    entries = max(1, round(phrasings / PHRASINGS_PER_ENTRY))
    coined = _coin_words(rng, entries * NEW_WORDS_PER_ENTRY)
    answers: dict[str, AnswerEntry] = {}
    for number in range(entries):
        count = phrasings // entries + (1 if number < phrasings % entries else 0)
        theme = (
            rng.sample(content, 3) + coined[number * NEW_WORDS_PER_ENTRY : (number + 1) * NEW_WORDS_PER_ENTRY]
        )
        entry = _entry(rng, number, theme, content, stops, count)
        answers[entry.id] = entry
    return replace(base, answers=MappingProxyType(answers), version=f"synthetic-{phrasings}")


def _entry(
    rng: random.Random, number: int, theme: list[str], content: list[str], stops: list[str], count: int
) -> AnswerEntry:
    wordings = [_phrasing(rng, theme, content, stops) for _ in range(max(1, count))]
    return AnswerEntry(
        id=f"synthetic-{number:05d}",
        topic=TOPICS[number % (len(TOPICS) - 1)],
        question=wordings[0],
        examples=tuple(wordings[1:]),
        keywords=(" ".join(theme[:2]), theme[-1]),
        answer="A made-up answer.",
        follow_ups=(),
        structured=None,
        sources=("https://example.org/",),
        reviewed=_REVIEWED,
        origin=_ORIGIN,
    )


def _phrasing(rng: random.Random, theme: list[str], content: list[str], stops: list[str]) -> str:
    """One phrasing: some of the entry's theme words among everyday words, at a realistic length."""
    length = min(LONGEST, max(SHORTEST, round(rng.lognormvariate(2.5, 0.5))))
    chosen = rng.sample(theme, k=min(len(theme), rng.randint(2, 4)))
    while len(chosen) < length:
        chosen.append(rng.choice(stops) if rng.random() < 0.5 else rng.choice(content))
    rng.shuffle(chosen)
    return " ".join(chosen) + "?"


def _coin_words(rng: random.Random, count: int) -> list[str]:
    coined: dict[str, None] = {}
    while len(coined) < count:
        coined.setdefault("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))), None)
    return list(coined)
