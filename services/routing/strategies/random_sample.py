from __future__ import annotations

import hashlib
from collections.abc import Sequence


class RandomSample:
    """A uniform score that ignores the model: the unbiased baseline, and a way to audit the
    model on cases it is sure about. Derived from (seed, event id) so a redelivered event
    gets the same decision."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def score(self, probs: Sequence[float], event_id: str) -> float:
        digest = hashlib.blake2b(f"{self.seed}:{event_id}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64
