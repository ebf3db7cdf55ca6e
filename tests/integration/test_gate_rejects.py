"""The promotion gate on real models: a deliberately worse challenger is never promoted."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

from redis import Redis

from services.core.settings import Settings
from services.demo.airline import airline_tweets
from services.labels.audit import AuditSet
from services.labels.records import AnnotationRecord
from services.labels.store import LabelStore
from services.registry.rollout import history
from services.registry.store import ModelRegistry
from services.training.bootstrap import bootstrap
from services.training.incremental import train_once
from services.training.runs import recent_runs
from tests.helpers import copy_models


def rotated(label: str, names: list[str]) -> str:
    """The next class: a labelling that is systematically wrong."""
    return names[(names.index(label) + 1) % len(names)]


def test_worse_challenger_is_rejected_and_champion_kept(
    settings: Settings, redis_server: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6]
    s = settings.override(
        # One version's weights kept besides the champion's: the run prunes the rest.
        stack={"registry_dir": tmp_path / "models", "registry_keep": 1},
        redis={"prefix": f"gate{run}:"},
        trainer={"lr": 1e-4, "epochs": 2, "recipe": "warm"},
        gate={"min_holdout": 30},  # 60 examples: judged by the paired rule, not refused unseen
    )
    tweets = airline_tweets()
    random.Random(11).shuffle(tweets)
    # Forced: 100 tweets make a weak champion on a 20-example seed holdout (it may not pass
    # the usefulness floor); this test is about the challenger.
    v1 = bootstrap(s, Path("seed"), examples=tweets[:100], force=True).ref.version
    reg = ModelRegistry(s.stack.models_dir)
    first = reg.get(v1)
    older = reg.add(lambda d: copy_models(first.path, d), first.meta).version  # never champion
    store = LabelStore(Redis.from_url(redis_server, decode_responses=True), s.redis.prefix)
    names = sorted({e.label for e in tweets})
    audit = AuditSet(store.r, s.redis.prefix)
    for i, e in enumerate(tweets[100:260]):
        event_id = f"gate-{run}-{i}"
        # A quarter of the events are audit samples, labelled right; annotators label every
        # routed case wrong: the challenger learns a wrong mapping that the gate must catch.
        holdout = i % 4 == 0
        if holdout:
            audit.add(event_id, "chat")
        store.upsert(
            AnnotationRecord(
                i + 1,
                i + 1,
                event_id,
                "chat",
                e.text,
                e.label if holdout else rotated(e.label, names),
                "submitted",
                "1",
                "2026-01-01T00:00:00Z",
                "poll",
            )
        )
    result = train_once(s, force=True)
    assert result.outcome == "rejected", result.reasons
    assert not any("EDDY_GATE_MIN_HOLDOUT" in r for r in result.reasons), result.reasons
    # The 40 audit labels were the gate's holdout (with the seed's 20), never trained on.
    assert result.holdout == {"audit": 40, "seed": 20} and result.new_labels == 120
    assert result.challenger_metrics is not None and result.champion_metrics is not None
    assert result.challenger_version is not None
    assert result.challenger_metrics["accuracy"] < result.champion_metrics["accuracy"]
    assert reg.champion_version() == v1
    # After the run the trainer pruned what EDDY_REGISTRY_KEEP=1 does not keep: the champion
    # and the newest (the rejected challenger) keep their weights.
    assert reg.pruned_versions() == {older} and result.challenger_version == older + 1
    meta = reg.get(result.challenger_version).meta
    assert meta["status"] == "rejected" and meta["recipe"]["name"] == "warm"
    assert not set(meta["data"]["new_event_ids"]) & set(audit.members())
    assert meta["gate"]["paired"]["n"] == 60
    assert [e["type"] for e in history(reg)] == ["bootstrapped"]
    runs = recent_runs(store.r, s.redis.prefix)
    assert runs[0]["outcome"] == "rejected" and runs[0]["reasons"]
