from __future__ import annotations

import math
from collections.abc import Sequence


class Entropy:
    """Shannon entropy normalised by log(K): 1 for a uniform distribution."""

    name = "entropy"

    def score(self, probs: Sequence[float], event_id: str) -> float:
        k = len(probs)
        if k < 2:
            return 0.0
        h = -sum(p * math.log(p) for p in probs if p > 0.0)
        return min(1.0, max(0.0, h / math.log(k)))
