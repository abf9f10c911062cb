"""The semantic signal: a sentence-embedding model run with onnxruntime, and the phrasings' cached vectors.

The model is loaded once per process and then called as a pure function: the same text always gives the same
vector. Vectors of the knowledge's phrasings are kept on disk, keyed by the model's and each text's hash, so a
start-up with an unchanged knowledge folder embeds nothing and a reload embeds only what changed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime
from tokenizers import Tokenizer

from bot.errors import ConfigError

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

MODEL_FILE = "model.onnx"
# How token vectors become one sentence vector; part of the cache key, so a change re-embeds everything.
POOLING = "mean-of-tokens-one-text-a-call"
TOKENIZER_FILE = "tokenizer.json"
# Longer messages are cut here: the question is nearly always in the first hundred words, and attention's cost
# grows with the square of the length.
MAX_TOKENS = 128
# Recently asked texts whose vectors are kept, so a text embedded ahead of its turn is not embedded again.
MEMO_SIZE = 4096
# Each text runs on one thread, and the texts of one call run side by side, one per processor: for texts of
# a question's length, onnxruntime's own threads cost more in handing over than they save. On the 2-core
# machine, `python bench/run.py --quick` went from 274 to 456 turns/s with 100 people at once, and one
# person's p99 from 30.9 to 19.3 ms, against onnxruntime's default threads running one text after another.
RUNNERS = os.cpu_count() or 1

_LOADED: dict[Path, Encoder] = {}
_LOADING = threading.Lock()


class Encoder:
    """Turns texts into unit-length sentence vectors; one per model folder per process."""

    def __init__(self, folder: Path) -> None:
        model, vocabulary = folder / MODEL_FILE, folder / TOKENIZER_FILE
        for needed in (model, vocabulary):
            if not needed.is_file():
                raise ConfigError(f"the embedding model file {needed} is missing (see models/*/MODEL.md)")
        self.fingerprint = _digest(
            f"{POOLING}:{MAX_TOKENS}:".encode() + model.read_bytes() + vocabulary.read_bytes()
        )
        self._tokenizer = Tokenizer.from_file(str(vocabulary))
        # The shipped tokenizer pads every text to its full length: a short question would cost as much as a
        # long one, and its mean would be taken over the padding too.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.dimensions = int(self._session.get_outputs()[0].shape[-1])
        self._memo: OrderedDict[str, Vectors] = OrderedDict()
        self._memo_lock = threading.Lock()
        self._runners = ThreadPoolExecutor(max_workers=RUNNERS, thread_name_prefix="encoder")

    @classmethod
    def shared(cls, folder: Path) -> Encoder:
        """Returns the process's encoder for a model folder, loading it on first use."""
        key = folder.resolve()
        with _LOADING:
            found = _LOADED.get(key)
            if found is None:
                found = _LOADED[key] = cls(key)
            return found

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Returns one unit vector per text, as rows; remembered texts are not embedded again."""
        rows: list[Vectors | None] = [self._remembered(t) for t in texts]
        missing = list(dict.fromkeys(t for t, row in zip(texts, rows, strict=True) if row is None))
        if missing:
            fresh = dict(zip(missing, self._run(missing), strict=True))
            self._remember(fresh)
            rows = [row if row is not None else fresh[t] for t, row in zip(texts, rows, strict=True)]
        if not rows:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([r for r in rows if r is not None])

    def prepare(self, texts: Sequence[str]) -> None:
        """Embeds texts ahead of their turn in one batch, so the turn itself finds them remembered."""
        self.encode(texts)

    def _remembered(self, text: str) -> Vectors | None:
        with self._memo_lock:
            found = self._memo.get(text)
            if found is not None:
                self._memo.move_to_end(text)
            return found

    def _remember(self, fresh: dict[str, Vectors]) -> None:
        with self._memo_lock:
            self._memo.update(fresh)
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)

    def _run(self, texts: list[str]) -> list[Vectors]:
        """Runs the model on each text alone. The int8 model scales its activations per call, so a text
        batched with others would come out very slightly different; alone, it is the same every time. Texts
        run side by side on the encoder's threads, each on one."""
        if len(texts) == 1 or RUNNERS == 1:
            return [self._one(text) for text in texts]
        return list(self._runners.map(self._one, texts))

    def _one(self, text: str) -> Vectors:
        encoded = self._tokenizer.encode(text if text.strip() else "?")
        ids = np.array([encoded.ids], dtype=np.int64)
        mask = np.ones_like(ids)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)[0]
        pooled = hidden.mean(axis=0)
        unit: Vectors = (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
        return unit


class VectorCache:
    """The knowledge's phrasing vectors on disk, one file per model, keyed by each text's hash."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def vectors(self, encoder: Encoder, texts: Sequence[str]) -> Vectors:
        """Returns a vector per text, embedding and saving only the texts the cache does not hold."""
        keys = [_key(t) for t in texts]
        held = self._read(encoder)
        missing = [t for t, k in dict(zip(texts, keys, strict=True)).items() if k not in held]
        if missing:
            log.info("embedding %d new phrasing(s)", len(missing))
            fresh = encoder.encode(missing)
            held.update(
                (_digest(t.encode("utf-8", "replace")), v) for t, v in zip(missing, fresh, strict=True)
            )
            self._write(encoder, {k: held[k] for k in dict.fromkeys(keys)})
        if not keys:
            return np.zeros((0, encoder.dimensions), dtype=np.float32)
        return np.stack([held[k] for k in keys])

    def _path(self, encoder: Encoder) -> Path | None:
        return self.folder / f"phrasings-{encoder.fingerprint[:16]}.npz" if self.folder else None

    def _read(self, encoder: Encoder) -> dict[str, Vectors]:
        path = self._path(encoder)
        if path is None or not path.is_file():
            return {}
        try:
            with np.load(path, allow_pickle=False) as stored:
                keys, rows = stored["keys"], stored["vectors"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("embedding cache %s unreadable, rebuilding it: %s", path, exc)
            return {}
        if rows.ndim != 2 or rows.shape[1] != encoder.dimensions or len(keys) != len(rows):
            return {}
        return {str(k): r.astype(np.float32) for k, r in zip(keys, rows, strict=True)}

    def _write(self, encoder: Encoder, kept: dict[str, Vectors]) -> None:
        """Replaces the cache file whole, so a crash leaves the old one; a failure costs only time."""
        path = self._path(encoder)
        if path is None or not kept:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz")
            with os.fdopen(handle, "wb") as out:
                np.savez(out, keys=np.array(list(kept)), vectors=np.stack(list(kept.values())))
            os.replace(temporary, path)
        except OSError as exc:
            log.warning("could not save the embedding cache %s: %s", path, exc)


def _key(text: str) -> str:
    return _digest(text.encode("utf-8", "replace"))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
