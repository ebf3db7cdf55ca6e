"""One training run, as named steps: plan (trigger, data, recipe) -> train -> evaluate and gate
-> record. Blocking; runs in the trainer process (never in a worker or a webhook), one at a time
under a Redis lock with a short TTL that a thread renews while the run lives. ``run_once`` is
the run itself, on any label source: the trainer gives it the Redis label store, `eddy
simulate` an in-memory one, so both run the same code."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import torch

from services.core import redis_sync
from services.core.locks import held_lock
from services.core.records import utc_now_iso
from services.core.settings import Settings
from services.labels.audit import AuditSet
from services.labels.store import LabelStore
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.train import ProgressFn, TrainConfig, TrainResult, fine_tune
from services.registry.open import open_registry
from services.registry.rollout import Publish, change_champion
from services.registry.store import ModelRef
from services.training import seedstore as seeds
from services.training.bootstrap import train_from_base
from services.training.examples import Example
from services.training.export import store_version
from services.training.holdparts import parts_summary
from services.training.judge import Judgement, judge
from services.training.metadata import model_metadata
from services.training.planning import LabelSource, Plan, plan_run
from services.training.pruning import prune_after_run
from services.training.pseudo import pseudo_examples
from services.training.runs import RunRecord, busy, lock_holder, lock_key, running, save_run

Say = Callable[[str], None]
BY = "trainer (the gate)"  # who made a change, in the history and on models.v1


@dataclass(frozen=True)
class Trained:
    champion: TextClassifier
    challenger: TextClassifier
    cfg: TrainConfig
    result: TrainResult
    examples: list[Example]  # the human labels it trained on
    pseudo: int = 0  # pseudo-labels it trained on besides
    seed_retiring: int = 0  # retired seed-holdout examples a warm run learned (retired if promoted)


def train_challenger(plan: Plan, settings: Settings, progress: ProgressFn) -> Trained:
    """Step 2: warm (a copy of the champion on new + replay) or rebuild (the base encoder
    on the seed and every label so far)."""
    if settings.trainer.threads:
        torch.set_num_threads(settings.trainer.threads)
    placement = select_placement(settings.model.device, settings.model.precision)
    ref = plan.champion
    max_len = int(ref.meta.get("max_length", settings.model.max_length))
    champion = TextClassifier.load(ref.path, placement, version=ref.version, max_length=max_len)
    registry, in_use = open_registry(settings.stack), bool(plan.seed_holdout)
    if plan.recipe.name == "rebuild":
        seed = seeds.rebuild_seed(registry, holdout_in_use=in_use)
        # The run's labels: the champion's, or grown by EDDY_LABELS (a head for a new class).
        examples = seeds.within(seed, plan.labels) + plan.data.every_label
        # Self-training: the champion's surest answers on recent traffic, beside the humans'.
        pseudo = pseudo_examples(champion, plan.pool, settings.trainer.pseudo_labels)
        fb = train_from_base(settings, plan.labels, examples + pseudo, progress)
        return Trained(champion, fb.clf, fb.cfg, fb.result, examples, len(pseudo))
    # A copy of the loaded champion, not a second read of its weights from disk.
    challenger = replace(champion, model=copy.deepcopy(champion.model), version=0)
    t = settings.trainer
    cfg = TrainConfig(epochs=t.epochs, batch_size=t.batch_size, lr=t.lr, seed=t.seed)
    retiring = seeds.within(seeds.warm_seed(registry, holdout_in_use=in_use), champion.labels)
    examples = plan.data.train + retiring
    texts, golds = [e.text for e in examples], [e.label for e in examples]
    result = fine_tune(challenger, texts, golds, cfg, progress)
    return Trained(champion, challenger, cfg, result, examples, seed_retiring=len(retiring))


def record(
    settings: Settings,
    labels: LabelSource,
    plan: Plan,
    trained: Trained,
    judgement: Judgement,
    run: RunRecord,
    publish: Publish | None,
) -> ModelRef:
    """Step 4: store the challenger (promoted or not), consume the new labels, announce."""
    decision, champ, data = judgement.decision, plan.champion, plan.data
    run.champion_metrics = judgement.champion.as_dict()
    run.challenger_metrics = judgement.challenger.as_dict()
    run.reasons, run.gate = decision.reasons, decision.stats
    run.outcome = "promoted" if decision.promote else "rejected"
    meta = model_metadata(
        kind="incremental",
        parent=champ.version,
        labels=trained.challenger.labels,
        train_labels=[e.label for e in trained.examples],
        cfg=trained.cfg,
        result=trained.result,
        metrics=judgement.challenger,
        placement=trained.challenger.placement,
        max_length=trained.challenger.max_length,
        total_s=run.duration_s,
        data={
            "new": len(data.new),
            "replay": len(data.replay),
            "trained_on": len(trained.examples),
            "pseudo": trained.pseudo,
            "seed_retiring": trained.seed_retiring,
            "holdout_audit": len(data.audit),
            "holdout_seed": len(plan.seed_holdout),
            "new_event_ids": sorted(e.event_id for e in data.new),
        },
        status=run.outcome,
        decision=decision.reasons,
        gate=decision.stats,
        recipe={"name": plan.recipe.name, "reason": plan.recipe.reason},
        run_id=run.run_id,
        trigger=plan.trigger.reason,
        labels_used=len(data.new) + len(data.earlier),
        champion_metrics={"version": champ.version, **judgement.champion.as_dict()},
    )
    registry = open_registry(settings.stack)
    ref = store_version(
        registry, trained.challenger, meta, plan.holdout, settings.trainer.export_onnx
    )
    run.challenger_version = ref.version
    # The new labels are consumed either way: a rejected run must not retrigger on them
    # forever; they stay available as replay for the next run.
    labels.mark_used([e.event_id for e in data.new])
    metrics = judgement.challenger.as_dict()
    if decision.promote:
        change_champion(
            registry, ref.version, "promoted", decision.summary, publish, metrics, by=BY
        )
        if trained.seed_retiring:
            seeds.retire_seed_holdout(registry)  # the lineage has it now
    elif publish:
        publish({"type": "rejected", "version": ref.version, "previous_version": champ.version,
                 "at": utc_now_iso(), "reason": decision.summary, "metrics": metrics,
                 "by": BY})  # fmt: skip
    return ref


def describe(run: RunRecord, plan: Plan) -> None:
    run.champion_version = plan.champion.version
    run.trigger = plan.trigger.reason
    run.recipe = plan.recipe.name
    run.new_labels, run.replay_labels = len(plan.data.new), len(plan.data.replay)
    run.holdout = {"audit": len(plan.data.audit), "seed": len(plan.seed_holdout)}


def run_once(
    settings: Settings,
    labels: LabelSource,
    audit_ids: Mapping[str, str],
    run: RunRecord,
    *,
    force: bool = False,
    progress: ProgressFn | None = None,
    say: Say = lambda _m: None,
    publish: Publish | None = None,
) -> RunRecord:
    """Plan -> train -> judge -> record, on any label source (no lock: the caller's job)."""
    started = time.perf_counter()
    plan = plan_run(settings, labels, audit_ids, force)
    describe(run, plan)
    if not plan.trigger.fire:
        return run
    say(
        f"training run {run.run_id}: {plan.trigger.reason}; {plan.recipe.name} on "
        f"{run.new_labels} new + {len(plan.data.earlier)} earlier label(s)"
        + (f", pseudo-labels from {len(plan.pool)} confident texts" if plan.pool else "")
        + f"; holdout {run.holdout['audit']} audit + {run.holdout['seed']} seed"
    )
    trained = train_challenger(plan, settings, progress or (lambda _i, _n, _l: None))
    stream = len(plan.data.every_label if plan.recipe.name == "rebuild" else plan.data.train)
    say(
        f"trained on {len(trained.examples)} example(s): {stream} label(s) from the stream + "
        f"{len(trained.examples) - stream} from the seed file"
        + (f" + {trained.pseudo} pseudo-label(s)" if trained.pseudo else "")
    )
    judgement = judge(
        trained.champion,
        trained.challenger,
        plan.holdout,
        plan.data.oldest,
        settings.gate,
        final_loss=trained.result.final_loss if trained.result.steps else 0.0,
        parts={"audit": len(plan.data.audit), "seed": len(plan.seed_holdout)},
    )
    run.duration_s = round(time.perf_counter() - started, 2)
    ref = record(settings, labels, plan, trained, judgement, run, publish)
    d = judgement.decision
    say(f"run {run.run_id}: v{ref.version} {run.outcome}: {d.summary}{parts_summary(d.stats)}")
    return run


def new_run() -> RunRecord:
    return RunRecord(uuid.uuid4().hex[:12], utc_now_iso(), "", "skipped")


def train_once(
    settings: Settings,
    *,
    force: bool = False,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    say: Say = lambda _m: None,
    publish: Publish | None = None,
    by: str = "trainer",
) -> RunRecord:
    """The trainer's run: the Redis label store and audit set, under the trainer lock, which
    says ``by`` whom and since when (the console's "training now")."""
    redis = redis_sync.connect(settings.redis)
    run = new_run()
    try:
        store = LabelStore(redis, settings.redis.prefix)
        audit_ids = AuditSet(redis, settings.redis.prefix).members()
        if dry_run:
            plan = plan_run(settings, store, audit_ids, force)
            describe(run, plan)
            run.outcome = "planned" if plan.trigger.fire else "skipped"
            return run
        prefix = settings.redis.prefix
        with held_lock(redis, lock_key(prefix), holder=lock_holder(by, time.time())) as held:
            if not held:
                run.outcome, run.trigger = "busy", busy(running(redis, prefix), time.time())
                return run
            run_once(
                settings, store, audit_ids, run, force=force, progress=progress, say=say,
                publish=publish,
            )  # fmt: skip
            if run.outcome in ("promoted", "rejected"):
                run.ended_at = utc_now_iso()
                save_run(redis, prefix, run)
                prune_after_run(settings, say)
            return run
    finally:
        redis.close()
