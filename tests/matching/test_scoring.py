"""Tests for how scoring weighs keywords and route names."""

from __future__ import annotations

from dataclasses import replace

from matching_sample import CONFIG, answer, knowledge

from bot.matching.matcher import Matcher

# Two sibling entries about the same thing: one says what it is, the other who can do it.
_SIBLINGS = (
    answer(
        "widget-what",
        "routes_overview",
        "What is a widget course?",
        ("tell me about widget courses", "widget course explained"),
        ("widget",),
    ),
    answer(
        "widget-who",
        "routes_overview",
        "Who can join a widget course?",
        ("can anyone join a widget course", "entry rules for widget courses"),
        ("widget", "eligible"),
    ),
    answer("filler", "age", "Is there an age limit?", ("too old to train",), ("age", "eligible")),
)


def test_an_entry_matching_more_keywords_beats_its_sibling() -> None:
    matcher = Matcher(knowledge(_SIBLINGS), CONFIG)
    # Neither keyword is telling alone ("widget" names both, "eligible" is shared with another entry).
    match = matcher.match("widget course, am I eligible")
    assert match.best is not None
    assert match.best.entry == "widget-who"


def test_a_route_name_weighs_less_than_its_rarity_alone_gives() -> None:
    named = Matcher(knowledge(), CONFIG).index
    unnamed = Matcher(replace(knowledge(), routes={}), CONFIG).index
    assert 0 < named.weight("pgce") < unnamed.weight("pgce")
    assert named.weight("shadow") == unnamed.weight("shadow")
