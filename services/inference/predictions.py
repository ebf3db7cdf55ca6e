"""Build a prediction record from an interaction and class probabilities. Pure logic."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any


def _ms_between(earlier: str, later: str) -> float | None:
    try:
        a = datetime.fromisoformat(earlier)
        b = datetime.fromisoformat(later)
    except ValueError:
        return None
    return round((b - a).total_seconds() * 1000, 3)


def produced_at(interaction: Mapping[str, Any]) -> float | None:
    """When the event was produced (epoch seconds): the Kafka timestamp of its raw channel
    record, else when normalize received it; None if the record carries neither."""
    source = interaction.get("source")
    ts = source.get("timestamp_ms") if isinstance(source, Mapping) else None
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        return ts / 1000
    try:
        return datetime.fromisoformat(str(interaction.get("received_at", ""))).timestamp()
    except ValueError:
        return None


def prediction_id(channel: str, event_id: str, version: int) -> str:
    """Same event, same model version: same id, however often the event is redelivered."""
    return hashlib.sha256(f"{channel}\x1f{event_id}\x1fv{version}".encode()).hexdigest()[:32]


def to_prediction(
    interaction: Mapping[str, Any],
    probs: Sequence[float],
    labels: Sequence[str],
    version: int,
    *,
    now: str,
    batch_size: int,
    inference_ms: float,
    device: str,
    precision: str,
) -> dict[str, Any]:
    if len(probs) != len(labels):
        raise ValueError(f"{len(probs)} probabilities for {len(labels)} labels")
    best = max(range(len(probs)), key=probs.__getitem__)
    timings: dict[str, Any] = {
        "batch_size": batch_size,
        "inference_ms": round(inference_ms, 3),
        "device": device,
        "precision": precision,
    }
    queue_ms = _ms_between(str(interaction.get("received_at", "")), now)
    if queue_ms is not None:
        timings["queue_ms"] = queue_ms
    pred: dict[str, Any] = {
        "prediction_id": prediction_id(interaction["channel"], interaction["event_id"], version),
        "event_id": interaction["event_id"],
        "channel": interaction["channel"],
        "key": interaction["key"],
        "text": interaction["text"],
        "label": labels[best],
        "probs": {lab: round(float(p), 6) for lab, p in zip(labels, probs, strict=True)},
        "confidence": round(float(probs[best]), 6),
        "model_version": version,
        "predicted_at": now,
        "timings": timings,
    }
    for k in ("occurred_at", "received_at", "conversation_id", "metadata"):
        if k in interaction:
            pred[k] = interaction[k]
    source = interaction.get("source")
    ts = source.get("timestamp_ms") if isinstance(source, Mapping) else None
    if isinstance(ts, int) and not isinstance(ts, bool) and ts > 0:
        # The ops console's produce-to-prediction latency starts here.
        pred["produced_at"] = (
            datetime.fromtimestamp(ts / 1000, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
    return pred
