"""Step 1 of a training run: the champion, the run's data, whether to train and with which
recipe. Needs no model code, so the ops read model can ask it what the trigger is waiting for
without loading torch."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from services.core.settings import Settings
from services.labels.records import LabelledExample
from services.labels.traffic import pool_size
from services.registry.open import open_registry
from services.registry.store import ModelRef
from services.training import seedstore as seeds
from services.training.dataset import RunData, build_run_data
from services.training.examples import Example
from services.training.recipe import Recipe, choose_recipe
from services.training.triggers import Trigger, should_train


class LabelSource(Protocol):
    def labelled(self) -> list[LabelledExample]: ...
    def used(self) -> set[str]: ...
    def mark_used(self, event_ids: list[str]) -> None: ...
    def traffic(self, limit: int) -> list[str]: ...


@dataclass(frozen=True)
class Plan:
    """What a run would train on, how, and what it would be judged on."""

    champion: ModelRef
    data: RunData
    trigger: Trigger
    recipe: Recipe
    seed_holdout: list[Example]  # joins the audit labels while they are few
    pool: list[str]  # unlabelled confident traffic a rebuild pseudo-labels (empty: off)

    @property
    def holdout(self) -> list[Example]:
        return [Example(e.text, e.label) for e in self.data.audit] + self.seed_holdout


def plan_run(
    settings: Settings, labels: LabelSource, audit_ids: Mapping[str, str], force: bool
) -> Plan:
    """Step 1: the champion, the run's data, whether to train, and with which recipe."""
    registry = open_registry(settings.stack)
    champ = registry.champion()
    if champ is None:
        raise RuntimeError("no champion model: run `eddy bootstrap --seed FILE` first")
    t, g = settings.trainer, settings.gate
    data = build_run_data(
        labels.labelled(),
        labels.used(),
        champ.labels,
        audit_ids,
        t.replay_size,
        t.seed,
        g.forget_size,
    )
    oldest = data.oldest_new
    age = time.time() - oldest if oldest is not None else None
    seed = (
        seeds.within(seeds.seed_holdout(registry), champ.labels)
        if len(data.audit) < t.eval_seed_until
        else []
    )
    trigger = should_train(
        len(data.new),
        age,
        t.min_new_labels,
        t.max_label_age_s,
        force,
        holdout=len(data.audit) + len(seed),
        min_holdout=g.min_holdout,
    )
    recipe = choose_recipe(
        t.recipe,
        len(data.new) + len(data.earlier),
        t.rebuild_below,
        champion_labels=int(champ.meta.get("labels_used") or 0),
    )
    want = t.pseudo_labels if recipe.name == "rebuild" and trigger.fire else 0
    return Plan(champ, data, trigger, recipe, seed, labels.traffic(pool_size(want)))
