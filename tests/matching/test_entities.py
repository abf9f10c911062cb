"""Tests for spotting subjects, routes, degree classes, years and providers."""

from __future__ import annotations

import pytest
from matching_sample import knowledge

from bot.matching.entities import EntityFinder, academic_year, degree_class


@pytest.fixture(scope="module")
def finder() -> EntityFinder:
    return EntityFinder(knowledge())


def test_subject_aliases_map_to_ids_in_order(finder: EntityFinder) -> None:
    found = finder.find("I did computer science but want to teach Maths, or maybe physics")
    assert found.subjects == ("computing", "mathematics", "physics")


def test_subjects_need_whole_words(finder: EntityFinder) -> None:
    assert finder.find("a strict mathsy aftermath").subjects == ()


def test_multi_word_name_beats_its_parts(finder: EntityFinder) -> None:
    assert finder.find("design and technology please").subjects == ("design-and-technology",)


def test_a_long_name_cut_off_by_the_end_of_the_message_is_not_found(finder: EntityFinder) -> None:
    assert finder.find("physics or design and").subjects == ("physics",)
    assert finder.find("physics or design and technology").subjects == ("physics", "design-and-technology")


def test_routes_by_name_and_alias(finder: EntityFinder) -> None:
    found = finder.find("is a PGCE better than teach first or school direct salaried?")
    assert found.routes == ("pgce-university", "teach-first", "school-direct-salaried")


def test_providers_are_found_conservatively(finder: EntityFinder) -> None:
    assert finder.find("thinking of Sheffield Hallam University").providers == ("sheffield-hallam",)
    assert finder.find("could I go to ucl").providers == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm 42 with a 2:2 in history", "2:2"),
        ("got a 2.2 ages ago", "2:2"),
        ("a lower second from Leeds", "2:2"),
        ("I have a 2:1", "2:1"),
        ("predicted a 2.1", "2:1"),
        ("I got a first in maths", "first"),
        ("first class honours", "first"),
        ("a third from Hull", "third"),
        ("I don't have a degree", "none"),
        ("without a degree can I teach", "none"),
        ("my first degree was in law", None),
        ("first time asking", None),
        ("version 2.15 of the app", None),
        ("", None),
    ],
)
def test_degree_class(text: str, expected: str | None) -> None:
    assert degree_class(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("courses in 2026/27", "2026/27"),
        ("for 2026-27 please", "2026/27"),
        ("2027 to 2028", "2027/28"),
        ("2026-2027 funding", "2026/27"),
        ("next year", None),
        ("from 2026 to 2030", None),
        ("call 2026-28", None),
    ],
)
def test_academic_year(text: str, expected: str | None) -> None:
    assert academic_year(text) == expected


def test_entities_are_empty_and_false_for_plain_text(finder: EntityFinder) -> None:
    assert not finder.find("hello there")
