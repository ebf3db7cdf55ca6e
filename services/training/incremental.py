"""One training run: labels -> challenger -> gate -> promote or reject. Blocking; runs in the
trainer process (never in a worker or a webhook), one at a time (Redis lock)."""

from __future__ import annotations

import copy
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import torch
from redis import Redis

from services.core import redis_sync
from services.core.records import utc_now_iso
from services.core.settings import Settings
from services.labels.store import LabelStore
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.train import TrainConfig, evaluate, fine_tune
from services.registry.rollout import Publish, change_champion
from services.registry.store import ModelRegistry
from services.training.bootstrap import SEED_HOLDOUT_FILE
from services.training.dataset import build_run_data
from services.training.examples import Example, read_examples
from services.training.gate import GateConfig, promote_if_better
from services.training.triggers import should_train

log = logging.getLogger("eddy.trainer")
Say = Callable[[str], None]
# Tests inject a transformation of the training labels (e.g. shuffled) to build a bad model.
LabelTransform = Callable[[list[str]], list[str]]


@dataclass
class RunRecord:
    run_id: str
    started_at: str
    trigger: str
    outcome: str  # skipped | busy | promoted | rejected
    champion_version: int | None = None
    challenger_version: int | None = None
    new_labels: int = 0
    replay_labels: int = 0
    holdout: dict[str, int] = field(default_factory=dict)
    champion_metrics: dict[str, Any] | None = None
    challenger_metrics: dict[str, Any] | None = None
    reasons: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def runs_key(settings: Settings) -> str:
    return f"{settings.redis_prefix}trainer:runs"


def recent_runs(redis: Redis, settings: Settings, n: int = 50) -> list[dict[str, Any]]:
    return [json.loads(r) for r in redis.lrange(runs_key(settings), 0, n - 1)]


def seed_holdout(settings: Settings) -> list[Example]:
    path = settings.models_dir / SEED_HOLDOUT_FILE
    return read_examples(path) if path.is_file() and path.stat().st_size else []


def train_once(
    settings: Settings,
    *,
    force: bool = False,
    progress: Callable[[int, int, float], None] | None = None,
    say: Say = lambda _m: None,
    publish: Publish | None = None,
    label_transform: LabelTransform | None = None,
) -> RunRecord:
    redis = redis_sync.connect(settings)
    # Short TTL, renewed on every training step: a killed trainer frees the lock quickly.
    lock = redis.lock(f"{settings.redis_prefix}trainer:lock", timeout=300)
    run = RunRecord(uuid.uuid4().hex[:12], utc_now_iso(), "", "skipped")
    if not lock.acquire(blocking=False):
        run.outcome, run.trigger = "busy", "another training run is in progress"
        return run

    def step(i: int, total: int, loss: float) -> None:
        lock.reacquire()
        if progress:
            progress(i, total, loss)

    try:
        return _run(settings, redis, run, force, step, say, publish, label_transform)
    finally:
        lock.release()
        redis.close()


def _run(
    settings: Settings,
    redis: Redis,
    run: RunRecord,
    force: bool,
    progress: Callable[[int, int, float], None] | None,
    say: Say,
    publish: Publish | None,
    label_transform: LabelTransform | None,
) -> RunRecord:
    started = time.perf_counter()
    registry = ModelRegistry(settings.models_dir)
    champ = registry.champion()
    if champ is None:
        raise RuntimeError("no champion model: run `eddy bootstrap --seed FILE` first")
    run.champion_version = champ.version
    store = LabelStore(redis, settings.redis_prefix)
    data = build_run_data(
        store.labelled(),
        store.used(),
        champ.labels,
        settings.label_holdout_percent,
        settings.trainer_replay_size,
        settings.train_seed,
    )
    oldest = data.oldest_new
    trig = should_train(
        len(data.new),
        time.time() - oldest if oldest is not None else None,
        settings.trainer_min_new_labels,
        settings.trainer_max_label_age_s,
        force,
    )
    run.trigger = trig.reason
    if not trig.fire:
        return run
    seed_hold = seed_holdout(settings)
    holdout = [Example(e.text, e.label) for e in data.holdout] + seed_hold
    run.new_labels, run.replay_labels = len(data.new), len(data.replay)
    run.holdout = {"human": len(data.holdout), "seed": len(seed_hold)}
    say(
        f"training run {run.run_id}: {trig.reason}; {len(data.new)} new + {len(data.replay)} "
        f"replayed label(s); holdout {len(data.holdout)} human + {len(seed_hold)} seed"
    )
    if settings.trainer_threads:
        torch.set_num_threads(settings.trainer_threads)
    placement = select_placement(settings.device, settings.precision)
    max_len = int(champ.meta.get("max_length", settings.max_length))
    champion = TextClassifier.load(champ.path, placement, version=champ.version, max_length=max_len)
    # A copy of the loaded champion, not a second read of its weights from disk.
    challenger = replace(champion, model=copy.deepcopy(champion.model), version=0)
    train = data.train
    texts, labels = [e.text for e in train], [e.label for e in train]
    if label_transform:
        labels = label_transform(labels)
    cfg = TrainConfig(
        epochs=settings.trainer_epochs,
        batch_size=settings.train_batch_size,
        lr=settings.trainer_lr,
        seed=settings.train_seed,
    )
    result = fine_tune(challenger, texts, labels, cfg, progress)
    hold_t, hold_y = [e.text for e in holdout], [e.label for e in holdout]
    champ_m = evaluate(champion, hold_t, hold_y)
    chall_m = evaluate(challenger, hold_t, hold_y)
    decision = promote_if_better(
        champ_m,
        chall_m,
        GateConfig(
            settings.gate_tolerance, settings.gate_class_tolerance, settings.gate_min_support
        ),
    )
    run.champion_metrics, run.challenger_metrics = champ_m.as_dict(), chall_m.as_dict()
    run.reasons = decision.reasons
    run.outcome = "promoted" if decision.promote else "rejected"
    run.duration_s = round(time.perf_counter() - started, 2)
    meta = {
        "parent": champ.version,
        "labels": champion.labels,
        "created_at": utc_now_iso(),
        "kind": "incremental",
        "status": run.outcome,
        "decision": decision.reasons,
        "run_id": run.run_id,
        "trigger": trig.reason,
        "labels_used": len(train),
        "data": {
            "new": len(data.new),
            "replay": len(data.replay),
            "holdout_human": len(data.holdout),
            "holdout_seed": len(seed_hold),
            "train_per_label": dict(Counter(labels)),
            "new_event_ids": sorted(e.event_id for e in data.new),
        },
        "train": {**asdict(cfg), "steps": result.steps, "final_loss": result.final_loss},
        "timings": {"train_s": round(result.seconds, 2), "total_s": run.duration_s},
        "metrics": chall_m.as_dict(),
        "champion_metrics": {"version": champ.version, **champ_m.as_dict()},
        "max_length": max_len,
        "device": str(placement.device),
        "precision": placement.precision,
    }
    ref = registry.add(challenger.save, meta)
    run.challenger_version = ref.version
    # The new labels are consumed either way: a rejected run must not retrigger on them
    # forever; they stay available as replay for the next run.
    store.mark_used([e.event_id for e in data.new])
    if decision.promote:
        change_champion(
            registry, ref.version, "promoted", decision.summary, publish, chall_m.as_dict()
        )
    elif publish:
        publish(
            {
                "type": "rejected",
                "version": ref.version,
                "previous_version": champ.version,
                "at": utc_now_iso(),
                "reason": decision.summary,
                "metrics": chall_m.as_dict(),
            }
        )
    redis.lpush(runs_key(settings), json.dumps(run.as_dict()))
    redis.ltrim(runs_key(settings), 0, 499)
    say(f"run {run.run_id}: v{ref.version} {run.outcome}: {decision.summary}")
    return run
