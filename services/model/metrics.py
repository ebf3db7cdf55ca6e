"""Classification metrics. Pure logic."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ClassMetrics:
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int = 0  # how often the model answered this class, rightly or not


@dataclass(frozen=True)
class Metrics:
    accuracy: float
    macro_f1: float
    n: int
    per_class: dict[str, ClassMetrics]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute_metrics(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> Metrics:
    if len(gold) != len(pred):
        raise ValueError("gold and pred differ in length")
    n = len(gold)
    per: dict[str, ClassMetrics] = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = ClassMetrics(round(prec, 4), round(rec, 4), round(f1, 4), tp + fn, tp + fp)
    supported = [m.f1 for m in per.values() if m.support > 0]
    acc = sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / n if n else 0.0
    macro = sum(supported) / len(supported) if supported else 0.0
    return Metrics(round(acc, 4), round(macro, 4), n, per)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def wilson(successes: int, n: int, z: float = 1.96) -> Interval:
    """Wilson score interval of a proportion (the live accuracy estimate from audit labels)."""
    if n == 0:
        return Interval(float("nan"), 0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))
