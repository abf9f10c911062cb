"""Spotting small talk (greetings, thanks, "are you a bot", asking for a person) before any matching."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from bot.matching.normalise import words

__all__ = ["KINDS", "SmallTalkFinder", "small_talk_finder"]

# In order of weight: a message with thanks and a request for a person is a request for a person.
KINDS = ("person", "bot", "complaint", "capabilities", "goodbye", "thanks", "greeting")
# These kinds also count inside a short message ("could I speak to someone about fees"), with this many
# other words allowed around the phrase; the rest must make up the whole message.
SLACK = {"person": 7, "bot": 4, "complaint": 4}
FILLER = "filler"
MAX_CHARS = 200  # small talk is short; longer text is not even split into words


class SmallTalkFinder:
    """Knows the small-talk phrases of the knowledge and says which kind a message is, if any."""

    def __init__(self, phrases: Mapping[str, str]) -> None:
        self._phrases = {kind: _split(listed) for kind, listed in phrases.items()}
        self._longest = max((len(p) for ps in self._phrases.values() for p in ps), default=0)
        # One look-up per piece of a message; a phrase listed under two kinds counts as the weightier one.
        self._kind_of: dict[tuple[str, ...], str] = {}
        for kind in sorted(self._phrases, key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS)):
            for phrase in self._phrases[kind]:
                self._kind_of.setdefault(phrase, kind)
        # Longer messages than this are never small talk, so most questions cost one length check.
        self._most_words = self._longest + max(SLACK.values())

    def kind(self, text: str) -> str | None:
        """Returns the kind of small talk the text is ("thanks", "person"...), or None for anything else."""
        if len(text) > MAX_CHARS:
            return None
        said = tuple(words(text))
        if not said or len(said) > self._most_words:
            return None
        found = self._whole(said)
        if found:
            return min(found, key=KINDS.index)
        return self._inside(said)

    def _inside(self, said: tuple[str, ...]) -> str | None:
        for kind, slack in SLACK.items():
            for phrase in self._phrases.get(kind, ()):
                if len(phrase) > 1 and len(said) <= len(phrase) + slack and _holds(said, phrase):
                    return kind
        return None

    def _whole(self, said: tuple[str, ...]) -> set[str]:
        """The kinds whose phrases, with filler words, make up the whole text; empty when they do not."""
        found: set[str] = set()
        i = 0
        while i < len(said):
            step, kind = self._longest_at(said, i)
            if not step:
                return set()
            if kind != FILLER:
                found.add(kind)
            i += step
        return found

    def _longest_at(self, said: tuple[str, ...], start: int) -> tuple[int, str]:
        for size in range(min(self._longest, len(said) - start), 0, -1):
            kind = self._kind_of.get(said[start : start + size])
            if kind is not None:
                return size, kind
        return 0, ""


def _split(listed: str) -> tuple[tuple[str, ...], ...]:
    phrases = {tuple(words(p)) for p in listed.split("|")}
    return tuple(sorted((p for p in phrases if p), key=len, reverse=True))


def _holds(said: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(said[i : i + size] == phrase for i in range(len(said) - size + 1))


@lru_cache(maxsize=8)
def small_talk_finder(phrases: tuple[tuple[str, str], ...]) -> SmallTalkFinder:
    """Returns the finder for these (kind, "|"-separated phrases) pairs, built once per knowledge text."""
    return SmallTalkFinder(dict(phrases))
