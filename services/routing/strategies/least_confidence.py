from __future__ import annotations

from collections.abc import Sequence


class LeastConfidence:
    """1 - p(top class), rescaled so a uniform distribution scores 1."""

    name = "least_confidence"

    def score(self, probs: Sequence[float], event_id: str) -> float:
        k = len(probs)
        if k < 2:
            return 0.0
        return min(1.0, max(0.0, (1.0 - max(probs)) * k / (k - 1)))
