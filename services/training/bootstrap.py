"""`eddy bootstrap`: train model version 1 from a labelled seed file and make it champion."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.core.records import utc_now_iso
from services.core.settings import Settings
from services.ingest.redact import redact
from services.model.base import base_model_path
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.metrics import Metrics
from services.model.train import TrainConfig, evaluate, fine_tune, seed_everything
from services.registry.rollout import Publish, change_champion
from services.registry.store import ModelRef, ModelRegistry
from services.training.examples import Example, label_set, read_examples, stratified_split

SEED_HOLDOUT_FILE = "seed_holdout.jsonl"


@dataclass(frozen=True)
class BootstrapResult:
    ref: ModelRef
    metrics: Metrics | None
    train_size: int
    holdout_size: int


def bootstrap(
    settings: Settings,
    seed_file: Path,
    progress: Callable[[int, int, float], None] | None = None,
    examples: list[Example] | None = None,
    publish: Publish | None = None,
) -> BootstrapResult:
    raw = examples if examples is not None else read_examples(seed_file)
    # Train on the same redacted text the stream will serve.
    data = [Example(redact(e.text).text, e.label) for e in raw]
    labels = label_set(data, settings.labels)
    if len(labels) < 2:
        raise ValueError(f"need at least 2 labels to train a classifier, found {labels}")
    train, hold = stratified_split(data, settings.holdout_fraction, settings.train_seed)
    placement = select_placement(settings.device, settings.precision)
    # The new classification head is initialised randomly at load: seed before it, or two
    # bootstraps of the same data differ.
    seed_everything(settings.train_seed)
    clf = TextClassifier.load(
        base_model_path(settings.base_model),
        placement,
        labels=labels,
        max_length=settings.max_length,
        version=1,
    )
    cfg = TrainConfig(
        epochs=settings.train_epochs,
        batch_size=settings.train_batch_size,
        lr=settings.train_lr,
        seed=settings.train_seed,
    )
    start = time.perf_counter()
    result = fine_tune(clf, [e.text for e in train], [e.label for e in train], cfg, progress)
    metrics = evaluate(clf, [e.text for e in hold], [e.label for e in hold]) if hold else None
    meta = {
        "parent": None,
        "labels": labels,
        "created_at": utc_now_iso(),
        "kind": "bootstrap",
        "seed_file": str(seed_file),
        "data": {
            "train": len(train),
            "holdout": len(hold),
            "train_per_label": dict(Counter(e.label for e in train)),
        },
        "train": {
            "epochs": cfg.epochs,
            "batch_size": cfg.batch_size,
            "lr": cfg.lr,
            "seed": cfg.seed,
            "steps": result.steps,
            "final_loss": result.final_loss,
        },
        "timings": {
            "train_s": round(result.seconds, 2),
            "total_s": round(time.perf_counter() - start, 2),
        },
        "metrics": metrics.as_dict() if metrics else None,
        "max_length": settings.max_length,
        "device": str(placement.device),
        "precision": placement.precision,
    }
    registry = ModelRegistry(settings.models_dir)
    ref = registry.add(clf.save, meta)
    change_champion(
        registry, ref.version, "bootstrapped", f"bootstrap from {seed_file.name}", publish
    )
    # The seed holdout is kept for later champion/challenger comparisons.
    with (settings.models_dir / SEED_HOLDOUT_FILE).open("w", encoding="utf-8") as f:
        for e in hold:
            f.write(json.dumps({"text": e.text, "label": e.label}) + "\n")
    return BootstrapResult(ref, metrics, len(train), len(hold))
