"""`eddy bootstrap`: train model version 1 from a labelled seed file and make it champion."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from services.core.settings import Settings
from services.ingest.redact import redact
from services.model.base import base_model_path
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.metrics import Metrics
from services.model.train import ProgressFn, TrainConfig, evaluate, fine_tune, seed_everything
from services.registry.rollout import Publish, change_champion
from services.registry.store import ModelRef, ModelRegistry
from services.training.examples import Example, label_set, read_examples, stratified_split
from services.training.metadata import model_metadata

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
    progress: ProgressFn | None = None,
    examples: list[Example] | None = None,
    publish: Publish | None = None,
) -> BootstrapResult:
    started = time.perf_counter()
    raw = examples if examples is not None else read_examples(seed_file)
    # Train on the same redacted text the stream will serve.
    data = [Example(redact(e.text).text, e.label) for e in raw]
    labels = label_set(data, settings.model.labels)
    if len(labels) < 2:
        raise ValueError(f"need at least 2 labels to train a classifier, found {labels}")
    t = settings.trainer
    train, hold = stratified_split(data, t.bootstrap_holdout_fraction, t.seed)
    placement = select_placement(settings.model.device, settings.model.precision)
    # The new classification head is initialised randomly at load: seed before it, or two
    # bootstraps of the same data differ.
    seed_everything(t.seed)
    clf = TextClassifier.load(
        base_model_path(settings.model.base_model),
        placement,
        labels=labels,
        max_length=settings.model.max_length,
        version=1,
    )
    cfg = TrainConfig(
        epochs=t.bootstrap_epochs, batch_size=t.batch_size, lr=t.bootstrap_lr, seed=t.seed
    )
    result = fine_tune(clf, [e.text for e in train], [e.label for e in train], cfg, progress)
    metrics = evaluate(clf, [e.text for e in hold], [e.label for e in hold]) if hold else None
    meta = model_metadata(
        kind="bootstrap",
        parent=None,
        labels=labels,
        train_labels=[e.label for e in train],
        cfg=cfg,
        result=result,
        metrics=metrics,
        placement=placement,
        max_length=settings.model.max_length,
        total_s=time.perf_counter() - started,
        data={"train": len(train), "holdout": len(hold)},
        seed_file=str(seed_file),
    )
    models_dir = settings.stack.models_dir
    registry = ModelRegistry(models_dir)
    ref = registry.add(clf.save, meta)
    change_champion(
        registry, ref.version, "bootstrapped", f"bootstrap from {seed_file.name}", publish
    )
    # The seed holdout is kept for later champion/challenger comparisons.
    with (models_dir / SEED_HOLDOUT_FILE).open("w", encoding="utf-8") as f:
        for e in hold:
            f.write(json.dumps({"text": e.text, "label": e.label}) + "\n")
    return BootstrapResult(ref, metrics, len(train), len(hold))


def seed_holdout(models_dir: Path) -> list[Example]:
    """The seed examples bootstrap kept out of training (empty if there are none)."""
    path = models_dir / SEED_HOLDOUT_FILE
    return read_examples(path) if path.is_file() and path.stat().st_size else []
