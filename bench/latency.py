"""Summaries of measured durations: percentiles in milliseconds and rates per second."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Spread:
    """The middle and the tail of a set of durations, in milliseconds."""

    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def percentile(seconds: Sequence[float], share: float) -> float:
    """Returns the nearest-rank percentile (share from 0 to 1) of durations in seconds, in milliseconds."""
    if not seconds:
        return math.nan
    ordered = sorted(seconds)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1] * 1000


def spread(seconds: Sequence[float]) -> Spread:
    """Returns the p50, p99 and maximum of durations given in seconds."""
    return Spread(
        count=len(seconds),
        p50_ms=percentile(seconds, 0.50),
        p99_ms=percentile(seconds, 0.99),
        max_ms=max(seconds, default=math.nan) * 1000,
    )
