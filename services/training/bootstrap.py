"""`eddy bootstrap`: train model version 1 from a labelled seed file and make it champion."""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from services.core.redact import redact
from services.core.settings import Settings
from services.model.base import base_model_path
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.finite import weights_finite
from services.model.metrics import Metrics, compute_metrics
from services.model.soup import train_soup
from services.model.train import (
    ProgressFn,
    TrainConfig,
    TrainResult,
    predict_labels,
    seed_everything,
)
from services.registry.open import open_registry
from services.registry.rollout import Publish, change_champion
from services.registry.store import ModelRef, ModelRegistry, RegistryError
from services.training.datacheck import SMALL_CLASS
from services.training.examples import Example, label_set, read_examples, stratified_split
from services.training.export import store_version
from services.training.gate import majority_baseline
from services.training.metadata import model_metadata
from services.training.seedstore import (
    SEED_HOLDOUT_FILE,
    SEED_TRAIN_FILE,
    examples_jsonl,
    reseeded,
)


class BootstrapRefused(RuntimeError):
    """A champion exists: bootstrapping again would replace it."""


class BootstrapDiverged(ValueError):
    """The run's loss or weights are not finite."""


@dataclass(frozen=True)
class BootstrapResult:
    ref: ModelRef
    metrics: Metrics | None
    train_size: int
    holdout_size: int
    problems: list[str]  # why the model is not useful (empty: it is)
    champion: bool  # it became the champion
    notes: list[str] = field(default_factory=list)  # what the operator should know besides
    baseline: float | None = None  # always answering the holdout's most frequent class

    def sizes(self) -> str:
        """The split and the holdout's scores beside the majority class's, for one line."""
        m, base = self.metrics, self.baseline
        vs = f" (majority class {base:.3f})" if base is not None else ""
        scores = f", holdout accuracy {m.accuracy:.3f}{vs}, macro-F1 {m.macro_f1:.3f}" if m else ""
        return f"train {self.train_size}, holdout {self.holdout_size}{scores}"


@dataclass(frozen=True)
class FromBase:
    clf: TextClassifier
    cfg: TrainConfig
    result: TrainResult


def train_from_base(
    settings: Settings,
    labels: list[str],
    train: list[Example],
    progress: ProgressFn | None = None,
    version: int = 0,
) -> FromBase:
    """The base encoder with a new head, fine-tuned on ``train`` (bootstrap and rebuild)."""
    t = settings.trainer
    placement = select_placement(settings.model.device, settings.model.precision)
    base = base_model_path(settings.model.base_model)

    def fresh() -> TextClassifier:
        # The new classification head is initialised randomly at load: seed before it, or
        # two runs on the same data differ (and a soup's members would not share a start).
        seed_everything(t.seed)
        return TextClassifier.load(
            base,
            placement,
            labels=labels,
            max_length=settings.model.max_length,
            version=version,
            pooling=settings.model.pooling,
        )

    cfg = TrainConfig(
        epochs=t.bootstrap_epochs,
        batch_size=t.batch_size,
        lr=t.bootstrap_lr,
        seed=t.seed,
        members=t.bootstrap_members,
    )
    clf, result = train_soup(
        fresh, [e.text for e in train], [e.label for e in train], cfg, progress
    )
    return FromBase(clf, cfg, result)


def usefulness_problems(gold: list[str], pred: list[str]) -> list[str]:
    """Why a model is no use on its holdout: one class for everything, or no better than
    always answering the majority class. Empty when it is useful (or nothing to judge on)."""
    if not gold:
        return []
    out = []
    predicted = set(pred)
    if len(predicted) == 1:
        out.append(f"it predicts one class ({next(iter(predicted))!r}) for every holdout example")
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    base = majority_baseline(gold)
    if acc <= base:
        out.append(f"holdout accuracy {acc:.3f} is no better than the majority class ({base:.3f})")
    return out


def bootstrap(
    settings: Settings,
    seed_file: Path,
    progress: ProgressFn | None = None,
    examples: list[Example] | None = None,
    publish: Publish | None = None,
    force: bool = False,
    by: str | None = None,
) -> BootstrapResult:
    """Train v1 (or the next version) from the seed; it becomes champion only if useful (or
    ``force``), and only if there is no champion yet (or ``force``). ``by``: who asked."""
    started = time.perf_counter()
    registry = open_registry(settings.stack)
    current = registry.champion_version()
    if current is not None and not force:
        raise BootstrapRefused(
            f"{registry.where} already has a champion (v{current}); `eddy bootstrap --force` "
            "trains a new one from the seed and makes it champion"
        )
    before = _labels_of(registry, current)
    registry.check_writable()
    raw = examples if examples is not None else read_examples(seed_file)
    # Train on the same redacted text the stream will serve.
    data = [Example(redact(e.text).text, e.label) for e in raw]
    labels = label_set(data, settings.model.labels)
    if len(labels) < 2:
        raise ValueError(f"need at least 2 labels to train a classifier, found {labels}")
    notes = seed_notes(data, labels, before)
    t = settings.trainer
    train, hold = stratified_split(data, t.bootstrap_holdout_fraction, t.seed)
    fb = train_from_base(settings, labels, train, progress, version=1)
    if not (math.isfinite(fb.result.final_loss) and weights_finite(fb.clf.model)):
        # Never a champion, not even with --force: it would serve NaN to every event.
        raise BootstrapDiverged(
            f"training diverged (loss {fb.result.final_loss}, weights not finite); lower "
            f"EDDY_BOOTSTRAP_LR (now {t.bootstrap_lr})"
        )
    gold = [e.label for e in hold]
    pred = predict_labels(fb.clf, [e.text for e in hold]) if hold else []
    metrics = compute_metrics(gold, pred, labels) if hold else None
    problems = usefulness_problems(gold, pred)
    champion = force or not problems
    meta = model_metadata(
        kind="bootstrap",
        parent=None,
        labels=labels,
        train_labels=[e.label for e in train],
        cfg=fb.cfg,
        result=fb.result,
        metrics=metrics,
        placement=fb.clf.placement,
        max_length=settings.model.max_length,
        total_s=time.perf_counter() - started,
        data={"train": len(train), "holdout": len(hold)},
        seed_file=str(seed_file),
        recipe={"name": "bootstrap", "reason": "from the base encoder on the seed"},
        status="bootstrap" if champion else "rejected",
        decision=problems or ["useful on the seed holdout"],
    )
    ref = store_version(registry, fb.clf, meta, hold, settings.trainer.export_onnx)
    if champion:
        why = f"bootstrap from {seed_file.name}"
        change_champion(registry, ref.version, "bootstrapped", why, publish, by=by)
        # The seed is kept: its holdout joins the evaluation set while audit labels are few,
        # and a rebuild trains on its training part again.
        seed_train, kept, dropped = (
            (train, hold, Counter[str]())
            if current is None
            else reseeded(registry, train, hold, labels)
        )
        if dropped:
            gone = ", ".join(f"{n} {label!r}" for label, n in sorted(dropped.items()))
            notes.append(
                f"the earlier seed's examples with a label the new set lacks ({gone}) are "
                "left out of training and of the evaluation set"
            )
        registry.write_text(SEED_HOLDOUT_FILE, examples_jsonl(kept))
        registry.write_text(SEED_TRAIN_FILE, examples_jsonl(seed_train))
    base = majority_baseline(gold) if gold else None
    return BootstrapResult(ref, metrics, len(train), len(hold), problems, champion, notes, base)


def _labels_of(registry: ModelRegistry, version: int | None) -> list[str] | None:
    """The champion's label set, to compare; None when there is none or it cannot be read
    (a pointer at a lost version: `--force` is how such a registry is mended)."""
    try:
        return registry.get(version).labels if version is not None else None
    except (RegistryError, OSError, ValueError):
        return None


def seed_notes(data: list[Example], labels: list[str], before: list[str] | None) -> list[str]:
    """A class too small to judge, and a label set that differs from the champion's."""
    counts = Counter(e.label for e in data)
    small = sorted(label for label in labels if counts[label] < SMALL_CLASS)
    notes = []
    if small:
        notes.append(
            f"class(es) {', '.join(small)} have fewer than {SMALL_CLASS} seed examples: the "
            "model may not learn them, and the seed holdout's figures for them mean little"
        )
    if before is not None and sorted(before) != sorted(labels):
        added = ", ".join(sorted(set(labels) - set(before))) or "none"
        gone = ", ".join(sorted(set(before) - set(labels))) or "none"
        notes.append(
            f"the label set changed (added: {added}; gone: {gone}); README § Changing the "
            "label set says what happens to Label Studio and to labels under old names"
        )
    return notes
