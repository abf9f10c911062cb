"""The results table: one row per measure, with its target and whether it was met, as Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PASS, MISS = "pass", "MISS"


@dataclass(frozen=True, slots=True)
class Row:
    """One measured figure beside its target; verdict is pass, MISS or empty when there is no target."""

    measure: str
    result: str
    target: str = ""
    verdict: str = ""


def judged(measure: str, result: str, target: str, met: bool) -> Row:
    """Returns a row marked pass or MISS."""
    return Row(measure, result, target, PASS if met else MISS)


def render(rows: Sequence[Row]) -> str:
    """Returns the rows as a Markdown table with aligned columns."""
    header = ("Measure", "Result", "Target", "")
    cells = [header, *((r.measure, r.result, r.target, r.verdict) for r in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(c) for c in cells[1:])])
