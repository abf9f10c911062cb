"""Reading the headline figures from the table bench/quality.py prints, to set them beside the baselines."""

from __future__ import annotations

import re
from dataclasses import dataclass

BOT = "bot"
# The overall table's rows, as bench/quality.py labels them, and whether higher is better.
MEASURES: tuple[tuple[str, bool], ...] = (
    ("top-1 (in scope)", True),
    ("top-3 (in scope)", True),
    ("off-topic declined", True),
    ("confidently wrong (all)", False),
)
# A cell is a percentage, a dash, or words such as "not installed" (sometimes one space from the next cell).
_CELL = re.compile(r"\d+(?:\.\d+)?%|-(?=\s|$)|[A-Za-z][A-Za-z ]*[A-Za-z]")


@dataclass(frozen=True, slots=True)
class Comparison:
    """One measure for the bot beside the same measure for each baseline that ran."""

    measure: str
    higher_is_better: bool
    bot: float
    baselines: dict[str, float]

    @property
    def ahead(self) -> bool:
        """True when the bot beats every baseline on this measure."""
        if self.higher_is_better:
            return all(self.bot > value for value in self.baselines.values())
        return all(self.bot < value for value in self.baselines.values())


def compare(printed: str, after: str = "") -> list[Comparison]:
    """Returns the bot-versus-baselines figures in the first overall table printed after a line holding
    `after` (the first table of all when it is empty); empty if none."""
    lines = [line for line in printed.splitlines() if line.strip()]
    start = next((n for n, line in enumerate(lines) if after in line), len(lines))
    lines = lines[start:]
    header = next((line for line in lines if line.split()[:1] == [BOT]), None)
    if header is None:
        return []
    names = header.split()
    found = []
    for measure, higher in MEASURES:
        row = next((line.strip() for line in lines if line.strip().startswith(measure)), None)
        if row is None:
            continue
        cells = _CELL.findall(row[len(measure) :])
        values = dict(zip(names, (_percent(cell) for cell in cells), strict=False))
        bot = values.pop(BOT, None)
        ran = {name: value for name, value in values.items() if value is not None}
        if bot is not None and ran:
            found.append(Comparison(measure, higher, bot, ran))
    return found


def _percent(cell: str) -> float | None:
    try:
        return float(cell.rstrip("%"))
    except ValueError:
        return None
