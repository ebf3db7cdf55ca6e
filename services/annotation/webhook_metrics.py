"""What the webhook process exports: every receipt by Label Studio action and by what came
of it, and the labels it stored (services.labels.metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from services.labels.metrics import LabelInflow
from services.runtime.metrics import process_registry

# The action is the sender's string: anything outside these is counted as "other", so a
# stranger's requests cannot make a series per made-up value.
ACTIONS = frozenset({"ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED"})


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or process_registry()
        self._receipts = Counter(
            "eddy_webhook_receipts",
            "Webhook calls by Label Studio action (none: not read) and outcome",
            ["action", "outcome"],
            registry=self.registry,
        )
        self.labels = LabelInflow(self.registry, "webhook")

    def receipt(self, action: object, outcome: str) -> None:
        name = "none" if action is None else str(action) if action in ACTIONS else "other"
        self._receipts.labels(name, outcome).inc()
