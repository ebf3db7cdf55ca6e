"""Labels reaching the store, by the path they came (``webhook`` push or the trainer's
``poll`` of Label Studio): the inflow panel. Each process that stores labels counts its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class LabelInflow:
    def __init__(self, registry: CollectorRegistry, source: str) -> None:
        self.source = source
        self._stored = Counter(
            "eddy_labels_stored",
            "Labels new or changed in the label store, by source",
            ["source"],
            registry=registry,
        )
        self._deleted = Counter(
            "eddy_labels_deleted",
            "Labels withdrawn from the label store, by source",
            ["source"],
            registry=registry,
        )
        # Both series exist from the start, so rate() sees a zero rather than no data.
        self._stored.labels(source)
        self._deleted.labels(source)

    def stored(self, n: int = 1) -> None:
        self._stored.labels(self.source).inc(n)

    def deleted(self, n: int = 1) -> None:
        self._deleted.labels(self.source).inc(n)
