"""Breaking a copy of the test knowledge folder in one place, and finding the line that was broken."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

VALID = Path(__file__).resolve().parent / "data" / "valid"
REAL = Path(__file__).resolve().parents[2] / "knowledge"
_NAMED = re.compile(r"\{([a-z_]+)\.[A-Za-z0-9_.-]+\}")
_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):", re.MULTILINE)
TODAY = date(2026, 11, 23)
REGIONS = ("South East", "South Yorkshire")


def edit(folder: Path, file: str, old: str, new: str) -> None:
    """Replaces the one occurrence of old in a knowledge file with new."""
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(folder: Path, file: str, anchor: str) -> int:
    """Returns the 1-based number of the one line of a file that contains anchor."""
    lines = (folder / file).read_text(encoding="utf-8").splitlines()
    found = [number for number, line in enumerate(lines, start=1) if anchor in line]
    assert len(found) == 1, f"{anchor!r} must be on exactly one line of {file}: {found}"
    return found[0]


def copy_valid(folder: Path) -> Path:
    """Copies the small valid knowledge to folder, with the real messages the bot needs beside its own."""
    shutil.copytree(VALID, folder)
    for path in (REAL / "messages").glob("*.yaml"):
        own = folder / "messages" / path.name
        if own.exists():
            merged = _without_keys(path.read_text(encoding="utf-8"), own) + own.read_text(encoding="utf-8")
            own.write_text(merged, encoding="utf-8")
        else:
            shutil.copy(path, own)
    texts = [path.read_text(encoding="utf-8") for path in (REAL / "messages").glob("*.yaml")]
    named = {name for text in texts for name in _NAMED.findall(text)}
    for namespace in named:  # the values files whose figures the real messages name
        if not (folder / "values" / f"{namespace}.yaml").exists():
            shutil.copy(REAL / "values" / f"{namespace}.yaml", folder / "values" / f"{namespace}.yaml")
    return folder


def _without_keys(text: str, own: Path) -> str:
    """The real file's text less the top-level entries the test file writes itself."""
    mine = set(_TOP_KEY.findall(own.read_text(encoding="utf-8")))
    starts = [(m.start(), m.group(1)) for m in _TOP_KEY.finditer(text)]
    kept = [text[: starts[0][0]] if starts else text]
    for (start, key), (end, _next) in zip(starts, [*starts[1:], (len(text), "")], strict=True):
        if key not in mine:
            kept.append(text[start:end])
    return "".join(kept).rstrip("\n") + "\n"
