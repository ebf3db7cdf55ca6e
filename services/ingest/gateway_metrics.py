"""What the gateway process exports: API requests and their latency by HTTP status, and the
events it accepted per channel. Health probes are not counted: they are not traffic."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from services.runtime.metrics import process_registry


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or process_registry()
        self._requests = Counter(
            "eddy_gateway_requests",
            "Event POSTs by HTTP status",
            ["status"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "eddy_gateway_request_duration_seconds",
            "Event POST time until the answer, by HTTP status (202: the broker acknowledged)",
            ["status"],
            registry=self.registry,
        )
        self._accepted = Counter(
            "eddy_gateway_accepted_events",
            "Events accepted (202) by channel",
            ["channel"],
            registry=self.registry,
        )

    def request(self, status: int, seconds: float) -> None:
        self._requests.labels(str(status)).inc()
        self._duration.labels(str(status)).observe(seconds)

    def accepted(self, channel: str, n: int) -> None:
        self._accepted.labels(channel).inc(n)
