"""Simulated annotator mistakes, shared by `eddy demo`'s annotator pool and `eddy simulate`,
so that both measure the same kind of noise. Pure."""

from __future__ import annotations

import random
from collections.abc import Sequence


def answer(gold: str, labels: Sequence[str], error_rate: float, rng: random.Random) -> str:
    """The gold label, or (with probability error_rate) a wrong one, uniformly among the rest."""
    if error_rate > 0 and rng.random() < error_rate and len(labels) > 1:
        return rng.choice([lab for lab in labels if lab != gold])
    return gold


def answer_for(event_id: str, gold: str, labels: Sequence[str], error_rate: float) -> str:
    """One event's answer, the same every time it is asked: arms of a replay that label the
    same event see the same mistake, so their comparison stays paired."""
    return answer(gold, labels, error_rate, random.Random(f"noise:{event_id}"))
