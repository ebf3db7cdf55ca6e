"""An in-memory label source for `eddy simulate`: what the Redis label store gives the trainer
(labelled examples, which are used), without a server."""

from __future__ import annotations

from itertools import islice

from services.labels.records import LabelledExample


class MemoryLabels:
    def __init__(self) -> None:
        self._examples: list[LabelledExample] = []
        self._used: set[str] = set()
        self._clock = 0.0
        self._traffic: list[str] = []  # in arrival order

    def add_traffic(self, text: str) -> None:
        """An event the router left to the model (confident): the rebuild's pseudo-label pool."""
        self._traffic.append(text)

    def traffic(self, limit: int) -> list[str]:
        """The newest ``limit`` texts, newest first, as the Redis pool gives them."""
        return list(islice(reversed(self._traffic), max(limit, 0)))

    def add(self, event_id: str, text: str, label: str) -> None:
        self._clock += 1.0  # arrival order stands in for the time a label was resolved
        self._examples.append(
            LabelledExample(event_id, len(self._examples) + 1, text, label, 1.0, 1, self._clock)
        )

    def labelled(self) -> list[LabelledExample]:
        return list(self._examples)

    def used(self) -> set[str]:
        return set(self._used)

    def mark_used(self, event_ids: list[str]) -> None:
        self._used.update(event_ids)
