from __future__ import annotations

from collections.abc import Sequence


class Margin:
    """1 - (p1 - p2): the closer the two best classes, the more a human helps."""

    name = "margin"

    def score(self, probs: Sequence[float], event_id: str) -> float:
        if len(probs) < 2:
            return 0.0
        p1, p2 = sorted(probs, reverse=True)[:2]
        return min(1.0, max(0.0, 1.0 - (p1 - p2)))
