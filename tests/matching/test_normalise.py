"""Tests for cleaning, stemming, synonym folding and clause splitting."""

from __future__ import annotations

import pytest

from bot.matching.normalise import MAX_CHARS, Normaliser, clean, split_clauses, stem, words


@pytest.mark.parametrize(
    ("variant", "base"),
    [
        ("bursaries", "bursary"),
        ("training", "train"),
        ("trains", "train"),
        ("degrees", "degree"),
        ("gcses", "gcse"),
        ("applied", "apply"),
        ("changing", "change"),
        ("planned", "plan"),
    ],
)
def test_stem_brings_word_forms_together(variant: str, base: str) -> None:
    assert stem(variant) == stem(base)


@pytest.mark.parametrize("word", ["is", "this", "class", "physics", "bus", "42", "ks2"])
def test_stem_leaves_short_and_non_plural_words_recognisable(word: str) -> None:
    assert stem(word) in (word, word[:-1])
    assert len(stem(word)) >= 2


def test_words_drop_punctuation_and_keep_contractions_whole() -> None:
    assert words("I'm 42, don't   know!! <b>") == ["im", "42", "dont", "know", "b"]


def test_synonyms_fold_multi_word_variants_and_punctuation() -> None:
    normaliser = Normaliser({"2:2": ("2.2", "lower second"), "bursary": ("grant",)}, ["a", "i", "got"])
    for text in ("I got a 2:2", "i got a 2.2", "I got a lower second"):
        assert normaliser.normalise(text).tokens == normaliser.normalise("2:2").tokens
    assert normaliser.normalise("grants").tokens == normaliser.normalise("bursary").tokens


def test_folded_classes_stay_apart() -> None:
    normaliser = Normaliser({"2:1": ("upper second",), "2:2": ("lower second",)}, [])
    assert normaliser.normalise("upper second").tokens != normaliser.normalise("lower second").tokens


def test_stop_words_are_dropped_and_duplicates_kept_once() -> None:
    normaliser = Normaliser({}, ["the", "is", "how"])
    assert normaliser.normalise("How is the bursary the bursary").tokens == ("bursary",)


def test_clean_removes_control_characters_and_cuts_long_text() -> None:
    assert "\x00" not in clean("a\x00b\u202ec")
    long = "word " * 5000
    cut = clean(long)
    assert len(cut) <= MAX_CHARS
    assert cut.endswith("word")


def test_split_clauses_on_question_marks_also_and_newlines_but_not_decimals() -> None:
    text = "I have a 2.2 in history. Can I train? And also what bursary is there\nthanks"
    assert split_clauses(text) == [
        "I have a 2.2 in history",
        "Can I train",
        "what bursary is there",
        "thanks",
    ]
