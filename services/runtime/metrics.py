"""Worker metrics: Prometheus counters/histograms plus a plain snapshot for heartbeats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client import Counter as PromCounter


@dataclass
class StageMetrics:
    """Counts by outcome for one stage; exported to Prometheus and to the Redis heartbeat."""

    stage: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._events = PromCounter(
            "eddy_events",
            "Records processed by outcome",
            ["stage", "outcome"],
            registry=self.registry,
        )
        self._batch = Histogram(
            "eddy_batch_size",
            "Micro-batch sizes",
            ["stage"],
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=self.registry,
        )
        self._latency = Histogram(
            "eddy_inference_seconds",
            "Forward pass time per batch",
            ["stage"],
            registry=self.registry,
        )

    def inc(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] += n
        self._events.labels(self.stage, outcome).inc(n)

    def batch(self, size: int, seconds: float) -> None:
        self._batch.labels(self.stage).observe(size)
        self._latency.labels(self.stage).observe(seconds)

    def snapshot(self) -> dict[str, int]:
        return dict(self.counts)
