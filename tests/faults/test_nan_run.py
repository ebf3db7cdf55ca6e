"""A diverged training run (learning rate 1e30) on real models, Redis and the registry: the
bootstrap is refused even with --force, the incremental run is rejected for not being
finite, and the champion stays the finite model it was."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import pytest
from redis import Redis

from services.core.settings import Settings
from services.demo.airline import airline_tweets
from services.labels.audit import AuditSet
from services.labels.records import AnnotationRecord
from services.labels.store import LabelStore
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.finite import weights_finite
from services.registry.store import ModelRegistry
from services.training.bootstrap import BootstrapDiverged, bootstrap
from services.training.incremental import train_once


def test_a_nan_run_is_never_champion(settings: Settings, redis_server: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:6]
    s = settings.override(
        stack={"registry_dir": tmp_path / "models"},
        redis={"prefix": f"nan{run}:"},
        gate={"min_holdout": 30},
        # Short runs: a run diverges at 1e30 at once, and v1 need only be finite.
        trainer={"bootstrap_epochs": 2, "epochs": 1},
    )
    tweets = airline_tweets()
    random.Random(12).shuffle(tweets)
    diverging = s.override(trainer={"bootstrap_lr": 1e30, "lr": 1e30, "recipe": "warm"})
    with pytest.raises(BootstrapDiverged, match="EDDY_BOOTSTRAP_LR"):
        bootstrap(diverging, Path("seed"), examples=tweets[:100], force=True)
    assert ModelRegistry(s.stack.models_dir).champion_version() is None

    v1 = bootstrap(s, Path("seed"), examples=tweets[:100], force=True).ref.version
    store = LabelStore(Redis.from_url(redis_server, decode_responses=True), s.redis.prefix)
    audit = AuditSet(store.r, s.redis.prefix)
    for i, e in enumerate(tweets[100:220]):
        event_id = f"nan-{run}-{i}"
        if i % 3 == 0:
            audit.add(event_id, "chat")
        store.upsert(
            AnnotationRecord(i + 1, i + 1, event_id, "chat", e.text, e.label, "submitted", "1",
                             "2026-01-01T00:00:00Z", "poll")
        )  # fmt: skip
    result = train_once(diverging, force=True)
    assert result.outcome == "rejected", result.reasons
    assert result.reasons[0].startswith("not finite:"), result.reasons
    reg = ModelRegistry(s.stack.models_dir)
    assert reg.champion_version() == v1
    champ = reg.get(v1)
    clf = TextClassifier.load(champ.path, select_placement("cpu", "fp32"), version=v1)
    assert weights_finite(clf.model)
