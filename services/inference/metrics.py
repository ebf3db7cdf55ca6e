"""What the classify process exports beside its stage counts: the model it serves, batch
sizes and forward-pass time, produce->prediction latency, and the prediction mix per
channel (events/s, label mix and confidence: the drift panels)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Up to minutes: with no champion, classify holds events in Kafka until one exists.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
CONFIDENCE_BUCKETS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


class InferenceMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._model = Gauge(
            "eddy_model_info",
            "Model version this worker serves (always 1)",
            ["version"],
            registry=registry,
        )
        self._served: int | None = None
        self._batch = Histogram(
            "eddy_inference_batch_size_records",
            "Records per micro-batch",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=registry,
        )
        self._forward = Histogram(
            "eddy_inference_duration_seconds", "Forward pass time per batch", registry=registry
        )
        self._latency = Histogram(
            "eddy_prediction_latency_seconds",
            "From the event's produce time (its Kafka timestamp) to its prediction",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._confidence = Histogram(
            "eddy_prediction_confidence_ratio",
            "Probability of the predicted label",
            ["channel"],
            buckets=CONFIDENCE_BUCKETS,
            registry=registry,
        )
        self._predictions = Counter(
            "eddy_predictions",
            "Predictions by channel and predicted label",
            ["channel", "label"],
            registry=registry,
        )

    def serving(self, version: int) -> None:
        if version == self._served:
            return
        if self._served is not None:  # one series: the version served now
            self._model.remove(str(self._served))
        self._model.labels(str(version)).set(1)
        self._served = version

    def batch(self, size: int, seconds: float) -> None:
        self._batch.observe(size)
        self._forward.observe(seconds)

    def prediction(
        self, channel: str, label: str, confidence: float, latency_s: float | None
    ) -> None:
        self._predictions.labels(channel, label).inc()
        self._confidence.labels(channel).observe(confidence)
        if latency_s is not None:
            # A producer's clock ahead of ours must not make a negative observation.
            self._latency.labels(channel).observe(max(0.0, latency_s))
