"""One training run, as named steps: plan (trigger and data) -> train -> evaluate and gate ->
record. Blocking; runs in the trainer process (never in a worker or a webhook), one at a time
under a Redis lock whose short TTL every training step renews."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from redis import Redis

from services.core import redis_sync
from services.core.records import utc_now_iso
from services.core.settings import GateSettings, Settings
from services.labels.store import LabelStore
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.metrics import Metrics
from services.model.train import ProgressFn, TrainConfig, TrainResult, evaluate, fine_tune
from services.registry.rollout import Publish, change_champion
from services.registry.store import ModelRef, ModelRegistry
from services.training.bootstrap import seed_holdout
from services.training.dataset import RunData, build_run_data
from services.training.examples import Example
from services.training.gate import Decision, GateConfig, promote_if_better
from services.training.metadata import model_metadata
from services.training.runs import RunRecord, save_run
from services.training.triggers import Trigger, should_train

Say = Callable[[str], None]
LOCK_TTL_S = 300


@dataclass(frozen=True)
class Plan:
    """What a run would train on and be judged on."""

    champion: ModelRef
    data: RunData
    trigger: Trigger
    seed_holdout: list[Example]

    @property
    def holdout(self) -> list[Example]:
        return [Example(e.text, e.label) for e in self.data.holdout] + self.seed_holdout


@dataclass(frozen=True)
class Trained:
    champion: TextClassifier
    challenger: TextClassifier
    cfg: TrainConfig
    result: TrainResult


@dataclass(frozen=True)
class Judgement:
    champion: Metrics
    challenger: Metrics
    decision: Decision


def plan_run(settings: Settings, store: LabelStore, force: bool) -> Plan:
    """Step 1: the champion, the run's data (new, replay, holdout) and whether to train."""
    champ = ModelRegistry(settings.stack.models_dir).champion()
    if champ is None:
        raise RuntimeError("no champion model: run `eddy bootstrap --seed FILE` first")
    t = settings.trainer
    data = build_run_data(
        store.labelled(), store.used(), champ.labels, t.holdout_percent, t.replay_size, t.seed
    )
    oldest = data.oldest_new
    age = time.time() - oldest if oldest is not None else None
    trigger = should_train(len(data.new), age, t.min_new_labels, t.max_label_age_s, force)
    return Plan(champ, data, trigger, seed_holdout(settings.stack.models_dir))


def train_challenger(plan: Plan, settings: Settings, progress: ProgressFn) -> Trained:
    """Step 2: fine-tune a copy of the champion on the new labels plus replay."""
    if settings.trainer.threads:
        torch.set_num_threads(settings.trainer.threads)
    placement = select_placement(settings.model.device, settings.model.precision)
    ref = plan.champion
    max_len = int(ref.meta.get("max_length", settings.model.max_length))
    champion = TextClassifier.load(ref.path, placement, version=ref.version, max_length=max_len)
    # A copy of the loaded champion, not a second read of its weights from disk.
    challenger = replace(champion, model=copy.deepcopy(champion.model), version=0)
    t = settings.trainer
    cfg = TrainConfig(epochs=t.epochs, batch_size=t.batch_size, lr=t.lr, seed=t.seed)
    train = plan.data.train
    result = fine_tune(challenger, [e.text for e in train], [e.label for e in train], cfg, progress)
    return Trained(champion, challenger, cfg, result)


def judge(trained: Trained, holdout: list[Example], gate: GateSettings) -> Judgement:
    """Step 3: champion and challenger scored on the same holdout, in the same run."""
    texts, labels = [e.text for e in holdout], [e.label for e in holdout]
    champ_m = evaluate(trained.champion, texts, labels)
    chall_m = evaluate(trained.challenger, texts, labels)
    cfg = GateConfig(gate.tolerance, gate.class_tolerance, gate.min_support)
    return Judgement(champ_m, chall_m, promote_if_better(champ_m, chall_m, cfg))


def record(
    settings: Settings,
    store: LabelStore,
    plan: Plan,
    trained: Trained,
    judgement: Judgement,
    run: RunRecord,
    publish: Publish | None,
) -> ModelRef:
    """Step 4: store the challenger (promoted or not), consume the new labels, announce."""
    decision, champ = judgement.decision, plan.champion
    run.champion_metrics = judgement.champion.as_dict()
    run.challenger_metrics = judgement.challenger.as_dict()
    run.reasons = decision.reasons
    run.outcome = "promoted" if decision.promote else "rejected"
    data, train = plan.data, plan.data.train
    meta = model_metadata(
        kind="incremental",
        parent=champ.version,
        labels=trained.champion.labels,
        train_labels=[e.label for e in train],
        cfg=trained.cfg,
        result=trained.result,
        metrics=judgement.challenger,
        placement=trained.challenger.placement,
        max_length=trained.challenger.max_length,
        total_s=run.duration_s,
        data={
            "new": len(data.new),
            "replay": len(data.replay),
            "holdout_human": len(data.holdout),
            "holdout_seed": len(plan.seed_holdout),
            "new_event_ids": sorted(e.event_id for e in data.new),
        },
        status=run.outcome,
        decision=decision.reasons,
        run_id=run.run_id,
        trigger=plan.trigger.reason,
        labels_used=len(train),
        champion_metrics={"version": champ.version, **judgement.champion.as_dict()},
    )
    registry = ModelRegistry(settings.stack.models_dir)
    ref = registry.add(trained.challenger.save, meta)
    run.challenger_version = ref.version
    # The new labels are consumed either way: a rejected run must not retrigger on them
    # forever; they stay available as replay for the next run.
    store.mark_used([e.event_id for e in data.new])
    metrics = judgement.challenger.as_dict()
    if decision.promote:
        change_champion(registry, ref.version, "promoted", decision.summary, publish, metrics)
    elif publish:
        publish(
            {
                "type": "rejected",
                "version": ref.version,
                "previous_version": champ.version,
                "at": utc_now_iso(),
                "reason": decision.summary,
                "metrics": metrics,
            }
        )
    return ref


def describe(run: RunRecord, plan: Plan) -> None:
    run.champion_version = plan.champion.version
    run.trigger = plan.trigger.reason
    run.new_labels, run.replay_labels = len(plan.data.new), len(plan.data.replay)
    run.holdout = {"human": len(plan.data.holdout), "seed": len(plan.seed_holdout)}


def train_once(
    settings: Settings,
    *,
    force: bool = False,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    say: Say = lambda _m: None,
    publish: Publish | None = None,
) -> RunRecord:
    """Plan, and unless ``dry_run``, train, judge and record. Returns the run's record."""
    redis = redis_sync.connect(settings.redis)
    run = RunRecord(uuid.uuid4().hex[:12], utc_now_iso(), "", "skipped")
    try:
        store = LabelStore(redis, settings.redis.prefix)
        if dry_run:
            plan = plan_run(settings, store, force)
            describe(run, plan)
            run.outcome = "planned" if plan.trigger.fire else "skipped"
            return run
        return _locked(settings, redis, store, run, force, progress, say, publish)
    finally:
        redis.close()


def _locked(
    settings: Settings,
    redis: Redis,
    store: LabelStore,
    run: RunRecord,
    force: bool,
    progress: ProgressFn | None,
    say: Say,
    publish: Publish | None,
) -> RunRecord:
    lock = redis.lock(f"{settings.redis.prefix}trainer:lock", timeout=LOCK_TTL_S)
    if not lock.acquire(blocking=False):
        run.outcome, run.trigger = "busy", "another training run is in progress"
        return run

    def step(i: int, total: int, loss: float) -> None:
        lock.reacquire()  # a killed trainer frees the lock within the TTL
        if progress:
            progress(i, total, loss)

    started = time.perf_counter()
    try:
        plan = plan_run(settings, store, force)
        describe(run, plan)
        if not plan.trigger.fire:
            return run
        say(
            f"training run {run.run_id}: {plan.trigger.reason}; {run.new_labels} new + "
            f"{run.replay_labels} replayed label(s); holdout {run.holdout['human']} human + "
            f"{run.holdout['seed']} seed"
        )
        trained = train_challenger(plan, settings, step)
        judgement = judge(trained, plan.holdout, settings.gate)
        run.duration_s = round(time.perf_counter() - started, 2)
        ref = record(settings, store, plan, trained, judgement, run, publish)
        save_run(redis, settings.redis.prefix, run)
        say(f"run {run.run_id}: v{ref.version} {run.outcome}: {judgement.decision.summary}")
        return run
    finally:
        lock.release()
