"""Tests that the matcher's shortcuts (summed postings, sorted fuzzy words, a narrower typo search) change
no result."""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from matching_sample import CONFIG, knowledge
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.matching import scoring
from bot.matching.index import Index
from bot.matching.matcher import Matcher
from bot.matching.normalise import Normalised

if TYPE_CHECKING:
    from bot.core.content import Content

DEV_QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "dev_questions.yaml"


def _dev_questions() -> list[str]:
    data = yaml.safe_load(DEV_QUESTIONS.read_text(encoding="utf-8"))
    return [str(q["text"]) for q in data["questions"]]


def _slipped(text: str, rng: random.Random) -> str:
    """The text with two neighbouring letters swapped, as people type on phones."""
    spots = [i for i in range(len(text) - 1) if text[i].isalpha() and text[i + 1].isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _every_entry(index: Index, query: Normalised, topics: dict[str, float]) -> list[tuple[float, int, int]]:
    """The word-overlap score of every entry, worked out phrasing by phrasing with no index or bound."""
    weights = {t: index.weight(t) for t in query.tokens}
    mass = sum(weights.values())
    known = [(t, w) for t, w in weights.items() if w and t in index.weights]
    hits: dict[int, float] = {}
    present = frozenset(query.tokens)
    for keyword in (k for found in index.keywords.values() for k in found):
        if keyword.tokens <= present:
            hits[keyword.entry] = hits.get(keyword.entry, 0.0) + keyword.weight
    scored = []
    for number, entry in enumerate(index.entries):
        overlaps = [
            (scoring._f_score(shared / index.phrasings[p].mass, shared / mass), p)
            for p in entry.phrasings
            if (shared := sum(w for t, w in known if t in index.phrasings[p].tokens)) > 0
        ]
        if not overlaps:
            continue
        overlap, phrasing = max(overlaps, key=lambda pair: (pair[0], -pair[1]))
        vocabulary = {t for p in entry.phrasings for t in index.phrasings[p].tokens}
        vocabulary |= {
            t for found in index.keywords.values() for k in found if k.entry == number for t in k.tokens
        }
        covered = sum(w for t, w in known if t in vocabulary)
        value = (
            scoring.PHRASING_WEIGHT * overlap
            + scoring.COVERAGE_WEIGHT * covered / mass
            + scoring.KEYWORD_WEIGHT * min(1.0, hits.get(number, 0.0))
            + scoring.TOPIC_BONUS * topics.get(entry.topic, 0.0)
        )
        scored.append((value, number, phrasing))
    return scored


def _shortlist(index: Index, query: Normalised, topics: dict[str, float]) -> list[tuple[float, int, int]]:
    weights = {t: index.weight(t) for t in query.tokens}
    known = tuple((t, w) for t, w in weights.items() if w and t in index.weights)
    read = scoring._Query(known, sum(weights.values()), topics)
    return scoring._shortlist(index, read, scoring._keyword_hits(index, query), scoring.SHORTLIST)


def _agrees(index: Index, query: Normalised, topics: dict[str, float]) -> None:
    every = sorted(_every_entry(index, query, topics), key=lambda s: (-s[0], s[1]))[: scoring.SHORTLIST]
    kept = _shortlist(index, query, topics)
    assert [entry for _, entry, _ in kept] == [entry for _, entry, _ in every]
    assert [value for value, _, _ in kept] == pytest.approx([value for value, _, _ in every], abs=1e-9)


def test_the_shortlist_keeps_the_entries_a_full_scoring_would_keep(content: Content) -> None:
    matcher = content.matcher
    rng = random.Random(3)
    questions = _dev_questions()
    topics = [{}, {"scitt": 1.0}, {"no_degree": 2.0}]
    for question in [*questions, *(_slipped(q, rng) for q in questions)]:
        query = matcher.prepare(question)
        if query.tokens:
            _agrees(matcher.index, query, topics[len(question) % len(topics)])


def test_the_shortlist_agrees_on_the_sample_knowledge() -> None:
    matcher = Matcher(knowledge(), CONFIG)
    for question in ("is the physics bursary taxed", "pgce or scitt", "school experience dbs", "widget"):
        _agrees(matcher.index, matcher.prepare(question), {})


def test_sorting_a_phrasings_words_leaves_its_fuzzy_score_unchanged(content: Content) -> None:
    matcher = content.matcher
    index = matcher.index
    queries = [matcher.prepare(q).text for q in _dev_questions()[:40]]
    for number, entry in enumerate(index.entries):
        for phrasing, sorted_text in zip(entry.phrasings, index.fuzzy_texts[number], strict=True):
            text = index.phrasings[phrasing].text
            assert sorted_text.split() == sorted(text.split())
            for query in queries[number % 4 :: 4]:
                assert fuzz.token_set_ratio(query, sorted_text) == fuzz.token_set_ratio(query, text)


def _mistyped(word: str, rng: random.Random) -> str:
    """The word with one slip: letters swapped, one dropped, or one added inside or at the end."""
    i = rng.randrange(1, len(word))
    letter = rng.choice("aeinrst")
    return rng.choice(
        (_slipped(word, rng), word[:i] + word[i + 1 :], word[:i] + letter + word[i:], word + letter)
    )


def test_typo_search_within_reach_finds_what_a_search_of_every_word_finds(content: Content) -> None:
    index = content.matcher.index
    known = sorted(index._known)
    rng = random.Random(5)
    tried = 0
    for word in rng.sample([w for w in known if len(w) >= 4 and w.isalpha()], 400):
        slip = _mistyped(word, rng)
        if slip in index._known or len(slip) < 5:
            continue
        everything = [w for w in known if w.startswith(slip[0])]
        found = process.extractOne(slip, everything, scorer=OSA.normalized_similarity, score_cutoff=0.8)
        assert index.correct((slip,)) == ((found[0] if found else slip),)
        tried += 1
    assert tried > 200


def test_the_postings_hold_exactly_the_phrasings_and_entries_using_each_telling_word(
    content: Content,
) -> None:
    index = content.matcher.index
    count = len(index.phrasings)
    keyword_words: dict[int, set[str]] = {}
    for keyword in (k for found in index.keywords.values() for k in found):
        keyword_words.setdefault(keyword.entry, set()).update(keyword.tokens)
    telling = {t for t, w in index.weights.items() if w}
    assert set(index.postings) == telling
    for token in sorted(telling)[::7]:
        posting = index.postings[token]
        holders = posting.holders.tolist()
        phrasings = [p for p, phrasing in enumerate(index.phrasings) if token in phrasing.tokens]
        entries = [
            count + number
            for number, entry in enumerate(index.entries)
            if any(token in index.phrasings[p].tokens for p in entry.phrasings)
            or token in keyword_words.get(number, set())
        ]
        assert holders == phrasings + entries
        assert posting.weights.tolist() == [index.weights[token]] * len(holders)


def test_the_fuzzy_step_gives_each_entry_its_closest_phrasing(content: Content) -> None:
    matcher = content.matcher
    index = matcher.index
    rng = random.Random(7)
    for question in _dev_questions()[:60]:
        query = matcher.prepare(question)
        if not query.tokens:
            continue
        entries = rng.sample(range(len(index.entries)), 6)
        asked = " ".join(query.tokens)
        expected = [
            max(
                fuzz.token_set_ratio(asked, index.phrasings[p].text)
                * scoring._length_factor(len(query.tokens), index.phrasings[p].size)
                for p in index.entries[entry].phrasings
            )
            / 100
            for entry in entries
        ]
        assert scoring._closest(index, query, entries) == expected
