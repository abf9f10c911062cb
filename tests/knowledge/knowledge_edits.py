"""Breaking a copy of the test knowledge folder in one place, and finding the line that was broken."""

from __future__ import annotations

from datetime import date
from pathlib import Path

VALID = Path(__file__).resolve().parent / "data" / "valid"
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
