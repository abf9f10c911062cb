"""Small talk is told apart from questions, with the phrases of the real knowledge."""

from __future__ import annotations

import pytest

from bot.core.content import Content
from bot.matching.smalltalk import SmallTalkFinder, small_talk_finder


def _finder(content: Content) -> SmallTalkFinder:
    messages = content.knowledge.messages
    kinds = ("person", "bot", "complaint", "capabilities", "goodbye", "thanks", "greeting", "filler")
    return small_talk_finder(tuple((k, messages[f"smalltalk.{k}_phrases"]) for k in kinds))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", "greeting"),
        ("Hello there!", "greeting"),
        ("good morning :)", "greeting"),
        ("thanks so much", "thanks"),
        ("Thank you, that's really helpful", "thanks"),
        ("hi, thanks", "thanks"),
        ("what can you do?", "capabilities"),
        ("are you a bot", "bot"),
        ("Am I talking to a real person?", "bot"),
        ("this is rubbish", "complaint"),
        ("that's not what I asked", "complaint"),
        ("I want to speak to someone", "person"),
        ("thanks, can I talk to an adviser", "person"),
        ("bye", "goodbye"),
    ],
)
def test_small_talk_is_recognised(content: Content, text: str, kind: str) -> None:
    assert _finder(content).kind(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "hi, how much is the physics bursary?",
        "thanks, and what about chemistry?",
        "help me choose a route",
        "can I train with a 2:2 in history",
        "I spoke to someone at my local school about school experience and they said I need a DBS check",
        "",
        "ok",
    ],
)
def test_questions_and_background_are_not_small_talk(content: Content, text: str) -> None:
    assert _finder(content).kind(text) is None
