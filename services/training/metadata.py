"""The ``eddy.json`` of a model version, built in one place for bootstrap and incremental runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from services.core.records import utc_now_iso
from services.model.device import Placement
from services.model.metrics import Metrics
from services.model.train import TrainConfig, TrainResult


def model_metadata(
    *,
    kind: str,
    parent: int | None,
    labels: Sequence[str],
    train_labels: Sequence[str],
    cfg: TrainConfig,
    result: TrainResult,
    metrics: Metrics | None,
    placement: Placement,
    max_length: int,
    total_s: float,
    data: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    """Version metadata: lineage, label set, data counts, training recipe, metrics, timings."""
    return {
        "parent": parent,
        "labels": list(labels),
        "created_at": utc_now_iso(),
        "kind": kind,
        "data": {**data, "train_per_label": dict(Counter(train_labels))},
        "train": {**asdict(cfg), "steps": result.steps, "final_loss": result.final_loss},
        "timings": {"train_s": round(result.seconds, 2), "total_s": round(total_s, 2)},
        "metrics": metrics.as_dict() if metrics else None,
        "max_length": max_length,
        "device": str(placement.device),
        "precision": placement.precision,
        **extra,
    }
