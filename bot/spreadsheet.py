"""Writing CSV files for spreadsheet programs, so that no cell typed by the public runs as a formula."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Protocol

Cell = str | int | float

# A spreadsheet treats a cell starting with one of these as a formula; names and questions are typed
# by the public.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Phone numbers and Telegram handles start that way too, but cannot hold a formula.
_HARMLESS = re.compile(r"[+\-]?[\d ()\-]*|@\w+")


class _Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def safe_cell(cell: Cell) -> Cell:
    """Returns a cell a spreadsheet shows as typed: text that would start a formula gets a leading quote."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START) and not _HARMLESS.fullmatch(cell):
        return "'" + cell
    return cell


def write_rows(out: _Writable, rows: Iterable[Iterable[Cell]]) -> None:
    """Writes rows as CSV to out, every cell guarded by safe_cell."""
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
