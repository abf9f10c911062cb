"""What the semantic signal adds to an installation: its two libraries and the shipped model, on disk."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

SEMANTIC_LIBRARIES = ("onnxruntime", "tokenizers")


def installed_bytes(distribution: str) -> int:
    """Returns the bytes on disk of an installed distribution's files, or 0 when it is not installed."""
    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        return 0
    total = 0
    for file in files:
        path = Path(str(file.locate()))
        if path.is_file():
            total += path.stat().st_size
    return total


def folder_bytes(folder: Path) -> int:
    """Returns the bytes of every file under a folder."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def semantic_footprint(model_dir: Path | None) -> dict[str, int]:
    """Returns bytes on disk by part: each library the semantic signal needs, and the configured model."""
    parts = {name: installed_bytes(name) for name in SEMANTIC_LIBRARIES}
    parts["model"] = folder_bytes(model_dir) if model_dir is not None and model_dir.is_dir() else 0
    return parts
