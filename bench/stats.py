"""Nearest-rank percentiles for the benchmarks' latency tables (one definition for every bench)."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """The value at fraction ``q`` (0..1) of the sorted values, nearest rank; NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
