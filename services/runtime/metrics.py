"""Prometheus metrics every Eddy process shares, and a stream stage's counts (exported to
Prometheus and, as a plain snapshot, to the Redis heartbeat).

Conventions for every metric of Eddy's: one dimension per label (never two packed into one
value), the unit in the name (``_seconds``, ``_ratio``, ``_records``, ``_total``), and one
registry per process holding only what that process emits (no empty families elsewhere).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import CollectorRegistry, Gauge, ProcessCollector
from prometheus_client import Counter as PromCounter


def build_version() -> str:
    try:
        return version("eddy")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def process_registry() -> CollectorRegistry:
    """A process's registry: ``eddy_build_info{version}`` and its CPU, memory and fds."""
    registry = CollectorRegistry()
    info = Gauge(
        "eddy_build_info", "Eddy's package version (always 1)", ["version"], registry=registry
    )
    info.labels(build_version()).set(1)
    ProcessCollector(registry=registry)
    return registry


@dataclass
class StageMetrics:
    """Counts by outcome for one stage; exported to Prometheus and to the Redis heartbeat."""

    stage: str
    registry: CollectorRegistry = field(default_factory=process_registry)
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._events = PromCounter(
            "eddy_events",
            "Records a stream stage handled, by outcome (dead letters: outcome deadletter)",
            ["stage", "outcome"],
            registry=self.registry,
        )
        self._deadletters = PromCounter(
            "eddy_deadletters",
            "Records a stream stage dead-lettered, by reason",
            ["stage", "reason"],
            registry=self.registry,
        )

    def inc(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] += n
        self._events.labels(self.stage, outcome).inc(n)

    def deadletter(self, reason: str) -> None:
        # The heartbeat keeps its "deadletter:REASON" keys (`eddy status` shows them); in
        # Prometheus the reason is its own label, and events_total still sums every record.
        self.counts[f"deadletter:{reason}"] += 1
        self._events.labels(self.stage, "deadletter").inc()
        self._deadletters.labels(self.stage, reason).inc()

    def snapshot(self) -> dict[str, int]:
        return dict(self.counts)
