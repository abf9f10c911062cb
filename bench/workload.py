"""The questions simulated people ask, and the typing slips that make each asking a little different."""

from __future__ import annotations

import random
import string
from pathlib import Path

import yaml

QUESTIONS_FILE = Path(__file__).with_name("questions.yaml")


def load_questions(path: Path = QUESTIONS_FILE) -> tuple[str, ...]:
    """Returns the fixed list of benchmark questions."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions = tuple(str(q) for q in data["questions"])
    if not questions:
        raise ValueError(f"{path} holds no questions")
    return questions


def misspell(text: str, rng: random.Random, slips: int = 1) -> str:
    """Returns the text with a few letters swapped, dropped or doubled, as people type on phones."""
    letters = list(text)
    for _ in range(slips):
        spots = [i for i, ch in enumerate(letters[:-1]) if ch.isalpha() and letters[i + 1].isalpha()]
        if not spots:
            break
        i = rng.choice(spots)
        kind = rng.randrange(3)
        if kind == 0:
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        elif kind == 1:
            del letters[i]
        else:
            letters.insert(i, rng.choice(string.ascii_lowercase))
    return "".join(letters)
