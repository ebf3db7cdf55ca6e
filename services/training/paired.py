"""Paired comparison of two models scored on the same examples. Pure logic (numpy only).

Both models answer the same holdout, so their outcomes are paired: what matters is how often
they disagree, not their two accuracies side by side. A paired bootstrap (resampling examples,
recomputing both metrics on each resample) gives a confidence interval for the difference in
accuracy and in macro-F1; McNemar's exact test says whether the disagreements lean one way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services.model.metrics import Interval, wilson

IntArray = npt.NDArray[np.int64]
__all__ = ["Interval", "PairedComparison", "class_f1", "compare", "mcnemar_exact", "wilson"]


@dataclass(frozen=True)
class PairedComparison:
    """Challenger minus champion, on ``n`` shared examples."""

    n: int
    accuracy: Interval
    macro_f1: Interval
    only_champion_right: int  # McNemar's b
    only_challenger_right: int  # McNemar's c
    mcnemar_p: float
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy_diff": self.accuracy.as_dict(),
            "macro_f1_diff": self.macro_f1.as_dict(),
            "only_champion_right": self.only_champion_right,
            "only_challenger_right": self.only_challenger_right,
            "mcnemar_p": round(self.mcnemar_p, 4),
            "confidence": self.confidence,
            "method": "paired bootstrap (accuracy, macro-F1) + McNemar exact",
        }


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: are b and c a fair coin's split of b + c?"""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n
    return min(1.0, 2.0 * tail)


def macro_f1_batch(y: IntArray, pred: IntArray, k: int) -> npt.NDArray[np.float64]:
    """Macro-F1 of each row of ``pred`` (resamples x n) against the same rows of ``y``; a class
    absent from both truth and prediction in a row is left out of that row's mean."""
    f1s = []
    present = []
    for c in range(k):
        tp = np.sum((pred == c) & (y == c), axis=-1)
        fp = np.sum((pred == c) & (y != c), axis=-1)
        fn = np.sum((pred != c) & (y == c), axis=-1)
        denom = 2 * tp + fp + fn
        f1s.append(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0))
        present.append(np.sum(y == c, axis=-1) > 0)
    f1 = np.stack(f1s)
    mask = np.stack(present)
    return np.asarray(np.sum(f1 * mask, axis=0) / np.maximum(np.sum(mask, axis=0), 1))


def compare(
    y_true: Sequence[int],
    champion: Sequence[int],
    challenger: Sequence[int],
    num_classes: int,
    *,
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedComparison:
    """Challenger minus champion with a two-sided ``confidence`` interval for each metric."""
    if not len(y_true) == len(champion) == len(challenger):
        raise ValueError("truth and both predictions must be scored on the same examples")
    n = len(y_true)
    if n == 0:
        raise ValueError("nothing to compare on")
    y = np.asarray(y_true, dtype=np.int64)
    a = np.asarray(champion, dtype=np.int64)
    b = np.asarray(challenger, dtype=np.int64)
    right_a, right_b = a == y, b == y
    idx = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    acc_diff = right_b[idx].mean(axis=1) - right_a[idx].mean(axis=1)
    ys = y[idx]
    f1_diff = macro_f1_batch(ys, b[idx], num_classes) - macro_f1_batch(ys, a[idx], num_classes)
    point_f1 = float(
        macro_f1_batch(y[None, :], b[None, :], num_classes)[0]
        - macro_f1_batch(y[None, :], a[None, :], num_classes)[0]
    )
    tail = (1.0 - confidence) / 2.0 * 100.0
    only_a = int(np.sum(right_a & ~right_b))
    only_b = int(np.sum(right_b & ~right_a))
    return PairedComparison(
        n=n,
        accuracy=Interval(
            float(right_b.mean() - right_a.mean()),
            float(np.percentile(acc_diff, tail)),
            float(np.percentile(acc_diff, 100.0 - tail)),
        ),
        macro_f1=Interval(
            point_f1,
            float(np.percentile(f1_diff, tail)),
            float(np.percentile(f1_diff, 100.0 - tail)),
        ),
        only_champion_right=only_a,
        only_challenger_right=only_b,
        mcnemar_p=mcnemar_exact(only_a, only_b),
        confidence=confidence,
    )


def versus_majority(
    y_true: Sequence[int], challenger: Sequence[int], num_classes: int, *, confidence: float
) -> Interval:
    """The challenger's accuracy minus always answering the most frequent true class, paired
    on the same examples (the gate's majority-baseline floor)."""
    majority = np.bincount(np.asarray(y_true, dtype=np.int64), minlength=num_classes).argmax()
    baseline = [int(majority)] * len(y_true)
    return compare(y_true, baseline, challenger, num_classes, confidence=confidence).accuracy


def _class_f1(y: IntArray, pred: IntArray, c: int) -> npt.NDArray[np.float64]:
    tp = np.sum((pred == c) & (y == c), axis=-1)
    denom = np.sum(pred == c, axis=-1) + np.sum(y == c, axis=-1)
    return np.asarray(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0))


def class_f1(
    y_true: Sequence[int],
    champion: Sequence[int],
    challenger: Sequence[int],
    labels: Sequence[str],
    min_support: int,
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Challenger minus champion F1, paired (resampling all examples: F1 depends on every
    prediction of the class), for each class with ``min_support`` examples."""
    y = np.asarray(y_true, dtype=np.int64)
    a = np.asarray(champion, dtype=np.int64)
    b = np.asarray(challenger, dtype=np.int64)
    if len(y) == 0:
        return {}
    idx = np.random.default_rng(seed).integers(0, len(y), size=(resamples, len(y)))
    ys, as_, bs = y[idx], a[idx], b[idx]
    tail = (1.0 - confidence) / 2.0 * 100.0
    out = {}
    for c, label in enumerate(labels):
        if int(np.sum(y == c)) < min_support:
            continue
        diff = _class_f1(ys, bs, c) - _class_f1(ys, as_, c)
        point = float(
            _class_f1(y[None, :], b[None, :], c)[0] - _class_f1(y[None, :], a[None, :], c)[0]
        )
        out[label] = Interval(
            point, float(np.percentile(diff, tail)), float(np.percentile(diff, 100.0 - tail))
        )
    return out
