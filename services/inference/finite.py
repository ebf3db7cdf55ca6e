"""Probabilities a broken model serves. Pure logic.

A champion whose weights went NaN answers NaN for every event. Such a row is replaced by the
uniform distribution (maximally uncertain, so every strategy routes it to a human, and the
record stays valid JSON) and flagged, so the worker can roll the champion back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def sanitize(rows: Sequence[Sequence[float]]) -> tuple[list[list[float]], list[bool]]:
    """(rows with every non-finite row made uniform, which rows were non-finite)."""
    out: list[list[float]] = []
    bad: list[bool] = []
    for row in rows:
        ok = all(math.isfinite(p) for p in row)
        bad.append(not ok)
        out.append([float(p) for p in row] if ok else [1.0 / len(row)] * len(row))
    return out, bad
