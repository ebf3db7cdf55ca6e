"""The training side's facts for the ops read model (ops sits below training, so they are
handed to it here): the evaluation document, the run log and the trigger's progress."""

from __future__ import annotations

import time
from typing import Any

from services.core import redis_sync
from services.core.settings import Settings
from services.labels.audit import AuditSet
from services.labels.store import LabelStore
from services.registry.open import open_registry
from services.training.evaluation import evaluation_of
from services.training.planning import plan_run
from services.training.runs import recent_runs, running


class TrainerFacts:
    def __init__(self, settings: Settings) -> None:
        self.s = settings

    def evaluation(self) -> dict[str, Any]:
        return evaluation_of(open_registry(self.s.stack))

    def runs(self, n: int) -> list[dict[str, Any]]:
        client = redis_sync.connect(self.s.redis)
        try:
            return recent_runs(client, self.s.redis.prefix, n)
        finally:
            client.close()

    def trigger(self) -> dict[str, Any]:
        t = self.s.trainer
        base: dict[str, Any] = {"needed": t.min_new_labels, "max_age_s": t.max_label_age_s}
        client = redis_sync.connect(self.s.redis)
        try:
            prefix = self.s.redis.prefix
            base["running"] = running(client, prefix)  # whoever holds the trainer's lock
            if open_registry(self.s.stack).champion_version() is None:
                return {**base, "new_labels": 0, "fire": False, "reason": "no champion yet"}
            plan = plan_run(
                self.s, LabelStore(client, prefix), AuditSet(client, prefix).members(), False
            )
        finally:
            client.close()
        oldest = plan.data.oldest_new
        return {
            **base,
            "new_labels": len(plan.data.new),
            "oldest_age_s": None if oldest is None else round(time.time() - oldest, 1),
            "holdout": len(plan.data.audit) + len(plan.seed_holdout),
            "fire": plan.trigger.fire,
            "reason": plan.trigger.reason,
        }
