"""A warm lineage learns the seed holdout once the gate no longer uses it: the first warm run
after that trains on it, and a promotion retires it for good (a real model and registry; the
labels in memory, as `eddy simulate` keeps them)."""

from __future__ import annotations

from pathlib import Path

from services.core.settings import Settings
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.registry.store import ModelRegistry
from services.simulate.memory import MemoryLabels
from services.training.incremental import new_run, run_once
from services.training.seedstore import SEED_TRAIN_FILE, read_seed, seed_holdout
from tests.conftest import seed_examples
from tests.helpers import copy_models


def test_a_warm_run_trains_on_the_retired_seed_holdout_and_retires_it_when_promoted(
    settings: Settings, champion: int, tmp_path: Path
) -> None:
    copy_models(settings.stack.models_dir, tmp_path / "models")
    s = settings.override(
        stack={"registry_dir": tmp_path / "models"},
        # A learning rate this small leaves the challenger the champion's twin, so the gate
        # promotes it (paired difference 0) and the promotion path is the one exercised.
        trainer={"recipe": "warm", "epochs": 1, "lr": 1e-9, "min_new_labels": 1,
                 "eval_seed_until": 6},
        gate={"min_holdout": 6, "min_support": 1000},
    )  # fmt: skip
    reg = ModelRegistry(s.stack.models_dir)
    hold, train = seed_holdout(reg), read_seed(reg, SEED_TRAIN_FILE)
    assert hold, "the session's bootstrap kept a seed holdout"
    ref = reg.get(champion)
    clf = TextClassifier.load(ref.path, select_placement("cpu"), version=ref.version)
    texts = [e.text for e in seed_examples(60, seed=31)]
    # Audit labels that agree with the champion: no floor refuses its twin on them.
    answers = [clf.labels[max(range(len(p)), key=p.__getitem__)] for p in clf.predict_proba(texts)]
    labels, audit = MemoryLabels(), {}
    for n, (text, label) in enumerate(zip(texts[:8], answers[:8], strict=True)):
        labels.add(f"audit-{n}", text, label)
        audit[f"audit-{n}"] = "chat"
    for n, (text, label) in enumerate(zip(texts[8:20], answers[8:20], strict=True)):
        labels.add(f"routed-{n}", text, label)
    run = run_once(s, labels, audit, new_run(), force=True)
    assert run.holdout == {"audit": 8, "seed": 0}, "8 audit labels: the seed holdout retired"
    meta = reg.get(run.challenger_version or 0).meta
    assert meta["data"]["seed_retiring"] == len(hold)
    assert meta["data"]["trained_on"] == 12 + len(hold), "the new labels and the seed holdout"
    assert run.outcome == "promoted", run.reasons
    assert seed_holdout(reg) == [] and read_seed(reg, SEED_TRAIN_FILE) == train + hold
    for n, (text, label) in enumerate(zip(texts[20:26], answers[20:26], strict=True)):
        labels.add(f"routed-late-{n}", text, label)
    again = run_once(s, labels, audit, new_run(), force=True)
    meta = reg.get(again.challenger_version or 0).meta
    assert meta["data"]["seed_retiring"] == 0, "learned once; retired since"
