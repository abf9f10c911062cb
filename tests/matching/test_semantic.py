"""The semantic signal: the shipped embedding model, its phrasing cache, and batching ahead of turns."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.core.prefetch import EmbeddingBatcher
from bot.errors import ConfigError
from bot.matching.semantic import Encoder, VectorCache

MODEL = Path(__file__).resolve().parents[2] / "models" / "all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    """The model the bot ships with."""
    return Encoder.shared(MODEL)


def test_vectors_are_unit_length_and_the_same_every_time(encoder: Encoder) -> None:
    first = encoder.encode(["how much is the physics bursary", "can I train with a 2:2?"])
    assert first.shape == (2, encoder.dimensions)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    again = Encoder(MODEL).encode(["how much is the physics bursary"])
    assert np.allclose(first[0], again[0], atol=1e-6)


def test_questions_that_mean_the_same_are_closer_than_unrelated_ones(encoder: Encoder) -> None:
    asked, same, other = encoder.encode(
        ["how much is the physics bursary", "what is the bursary for physics", "good afternoon"]
    )
    assert float(asked @ same) > 0.6
    assert float(asked @ other) < 0.3


def test_a_text_gets_the_same_vector_whatever_it_is_batched_with(encoder: Encoder) -> None:
    short = "is there an age limit"
    long = "I'm 52, I have worked in logistics for thirty years and I want to retrain. " * 6
    alone = Encoder(MODEL).encode([short])[0]
    together = Encoder(MODEL).encode([long, short])[1]
    assert np.array_equal(alone, together)


def test_a_missing_model_is_a_clear_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"model\.onnx is missing"):
        Encoder(tmp_path)


def test_the_cache_embeds_only_what_changed(
    encoder: Encoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = VectorCache(tmp_path / "cache")
    texts = ["what is a scitt", "do I need a degree", "when do applications open"]
    with caplog.at_level(logging.INFO, logger="bot.matching.semantic"):
        first = cache.vectors(encoder, texts)
        assert "embedding 3 new phrasing(s)" in caplog.text
        caplog.clear()
        second = VectorCache(tmp_path / "cache").vectors(encoder, texts)
        assert "embedding" not in caplog.text
        caplog.clear()
        third = VectorCache(tmp_path / "cache").vectors(encoder, [*texts[:2], "what is a pgce"])
        assert "embedding 1 new phrasing(s)" in caplog.text
    assert np.array_equal(first, second)
    assert np.array_equal(first[:2], third[:2])


def test_an_unreadable_cache_is_rebuilt(
    encoder: Encoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "cache"
    VectorCache(folder).vectors(encoder, ["what is a scitt"])
    for stored in folder.iterdir():
        stored.write_bytes(b"not numpy at all")
    with caplog.at_level(logging.WARNING, logger="bot.matching.semantic"):
        vectors = VectorCache(folder).vectors(encoder, ["what is a scitt"])
    assert "unreadable" in caplog.text
    assert np.allclose(vectors[0], encoder.encode(["what is a scitt"])[0])


async def test_messages_arriving_together_are_embedded_in_one_batch() -> None:
    calls: list[list[str]] = []
    started = asyncio.Event()

    def embed(texts: Sequence[str]) -> None:
        calls.append(list(texts))

    batcher = EmbeddingBatcher(embed)
    first = asyncio.create_task(batcher.prepare("first"))
    await asyncio.sleep(0)  # the first batch starts at once, alone
    started.set()
    rest = [asyncio.create_task(batcher.prepare(f"message {n}")) for n in range(10)]
    await asyncio.gather(first, *rest)
    assert calls[0] == ["first"]
    assert sorted(t for call in calls[1:] for t in call) == sorted(f"message {n}" for n in range(10))
    assert len(calls) < 11


async def test_a_failed_batch_lets_its_turns_go_on(caplog: pytest.LogCaptureFixture) -> None:
    def embed(texts: Sequence[str]) -> None:
        raise RuntimeError("the model is unavailable")

    with caplog.at_level(logging.ERROR, logger="bot.core.prefetch"):
        await asyncio.wait_for(EmbeddingBatcher(embed).prepare("anything"), timeout=5)
    assert "failed" in caplog.text
