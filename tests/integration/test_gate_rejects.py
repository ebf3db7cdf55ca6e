"""The promotion gate on real models: a deliberately worse challenger is never promoted."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

from redis import Redis

from services.core.settings import Settings
from services.demo.airline import airline_tweets
from services.labels.records import AnnotationRecord
from services.labels.store import LabelStore
from services.registry.rollout import history
from services.registry.store import ModelRegistry
from services.training.bootstrap import bootstrap
from services.training.incremental import recent_runs, train_once


def rotate_labels(labels: list[str]) -> list[str]:
    """Every class renamed to the next one: the challenger learns systematically wrong labels."""
    names = sorted(set(labels))
    nxt = {a: names[(i + 1) % len(names)] for i, a in enumerate(names)}
    return [nxt[x] for x in labels]


def test_worse_challenger_is_rejected_and_champion_kept(
    settings: Settings, redis_server: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6]
    s = settings.model_copy(
        update={
            "registry_dir": tmp_path / "models",
            "redis_prefix": f"gate{run}:",
            "train_epochs": 6,
            "train_lr": 2e-4,
            "trainer_lr": 1e-4,
            "trainer_epochs": 2,
        }
    )
    tweets = airline_tweets()
    random.Random(11).shuffle(tweets)
    v1 = bootstrap(s, Path("seed"), examples=tweets[:100]).ref.version
    store = LabelStore(Redis.from_url(redis_server, decode_responses=True), s.redis_prefix)
    for i, e in enumerate(tweets[100:260]):
        store.upsert(
            AnnotationRecord(
                i + 1,
                i + 1,
                f"gate-{run}-{i}",
                "chat",
                e.text,
                e.label,
                "submitted",
                "1",
                "2026-01-01T00:00:00Z",
                "poll",
            )
        )
    result = train_once(s, force=True, label_transform=rotate_labels)
    assert result.outcome == "rejected", result.reasons
    assert result.challenger_metrics is not None and result.champion_metrics is not None
    assert result.challenger_version is not None
    assert result.challenger_metrics["accuracy"] < result.champion_metrics["accuracy"]
    reg = ModelRegistry(s.models_dir)
    assert reg.champion_version() == v1
    assert reg.get(result.challenger_version).meta["status"] == "rejected"
    assert [e["type"] for e in history(reg)] == ["bootstrapped"]
    runs = recent_runs(store.r, s)
    assert runs[0]["outcome"] == "rejected" and runs[0]["reasons"]
