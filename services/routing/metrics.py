"""What the route process exports beside its stage counts: one decision per prediction, by
channel, so the routed share of a channel is routed / all of its decisions."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

# Every value the decision label takes (each prediction gets exactly one): sent to review as
# routed, random or audit; not sent because confident, outranked, over the hour or open cap;
# already sent (duplicate) or represented by a near-duplicate's task.
DECISIONS = (
    "routed", "random", "audit", "confident", "outranked", "hour_cap", "open_cap",
    "duplicate", "near_duplicate",
)  # fmt: skip


class RouteMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._decisions = Counter(
            "eddy_route_decisions",
            "Routing decisions by channel: routed, random and audit go to review",
            ["channel", "decision"],
            registry=registry,
        )

    def decided(self, channel: str, decision: str) -> None:
        self._decisions.labels(channel, decision).inc()
