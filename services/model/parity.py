"""Whether a candidate inference backend (ONNX fp32, int8, ...) may stand in for the torch
fp32 model it was exported from. Pure logic: labels in, verdict out.

Two checks, both on the same examples: accuracy against gold may drop by at most
``max_accuracy_drop`` (a fraction: 0.005 = half a point), and the two backends must give the
same label on at least ``min_agreement`` of the examples. Agreement catches what accuracy
alone hides: errors that move around while their count stays put.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

# Limits are met inclusively, with a hair of tolerance: a drop of exactly one example in 200
# is 0.005 and must not fail a 0.005 limit because 0.87 - 0.865 is 0.0050000000000000044.
_EPS = 1e-9


@dataclass(frozen=True)
class ParityResult:
    reference_accuracy: float
    candidate_accuracy: float
    agreement: float
    n: int
    passed: bool
    reason: str

    @property
    def accuracy_drop(self) -> float:
        return self.reference_accuracy - self.candidate_accuracy

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parity(
    reference: Sequence[str],
    candidate: Sequence[str],
    gold: Sequence[str],
    *,
    max_accuracy_drop: float = 0.005,
    min_agreement: float = 0.99,
) -> ParityResult:
    """Compare the labels ``candidate`` predicted with those of ``reference`` (torch fp32)
    and with ``gold``, example by example."""
    if not len(reference) == len(candidate) == len(gold):
        raise ValueError(
            f"lengths differ: reference {len(reference)}, candidate {len(candidate)}, "
            f"gold {len(gold)}"
        )
    n = len(gold)
    if n == 0:
        return ParityResult(0.0, 0.0, 0.0, 0, False, "no examples: parity cannot be judged")
    ref_acc = sum(r == g for r, g in zip(reference, gold, strict=True)) / n
    cand_acc = sum(c == g for c, g in zip(candidate, gold, strict=True)) / n
    agreement = sum(r == c for r, c in zip(reference, candidate, strict=True)) / n
    drop = ref_acc - cand_acc
    figures = (
        f"accuracy {cand_acc:.4f} vs {ref_acc:.4f} (drop {100 * drop:.2f} pt, "
        f"limit {100 * max_accuracy_drop:.2f} pt), agreement {100 * agreement:.2f}% "
        f"(min {100 * min_agreement:.2f}%) on {n} examples"
    )
    failures = []
    if drop > max_accuracy_drop + _EPS:
        failures.append("accuracy dropped too far")
    if agreement < min_agreement - _EPS:
        failures.append("labels disagree too often")
    passed = not failures
    reason = f"passed: {figures}" if passed else f"failed ({', '.join(failures)}): {figures}"
    return ParityResult(ref_acc, cand_acc, agreement, n, passed, reason)
