"""The routing strategy interface: one method, a score in [0, 1] where higher = more worth
a human's time. The router compares it with the channel's threshold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Strategy(Protocol):
    name: str

    def score(self, probs: Sequence[float], event_id: str) -> float: ...
