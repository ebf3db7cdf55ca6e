"""Step 1 of a training run: the champion, the run's data, whether to train and with which
recipe. Needs no model code, so the ops read model can ask it what the trigger is waiting for
without loading torch."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from services.core.settings import Settings
from services.labels.records import LabelledExample
from services.labels.traffic import pool_size
from services.registry.open import open_registry
from services.registry.store import ModelRef
from services.training import seedstore as seeds
from services.training.dataset import RunData, build_run_data
from services.training.examples import Example
from services.training.recipe import LabelGrowth, Recipe, choose_recipe, grow_labels, grown_recipe
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
    growth: LabelGrowth  # the run's label set: the champion's, or grown by EDDY_LABELS

    @property
    def labels(self) -> list[str]:
        return self.growth.labels

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
    labelled = labels.labelled()
    trainable = Counter(e.label for e in labelled if e.event_id not in audit_ids)
    growth = grow_labels(champ.labels, settings.model.labels, trainable, t.new_label_min)
    data = build_run_data(
        labelled,
        labels.used(),
        growth.labels,
        audit_ids,
        t.replay_size,
        t.seed,
        g.forget_size,
    )
    oldest = data.oldest_new
    age = time.time() - oldest if oldest is not None else None
    seed = (
        seeds.within(seeds.seed_holdout(registry), growth.labels)
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
    if growth.note:
        trigger = replace(trigger, reason=f"{trigger.reason}; {growth.note}")
    recipe = choose_recipe(
        t.recipe,
        len(data.new) + len(data.earlier),
        t.rebuild_below,
        champion_labels=int(champ.meta.get("labels_used") or 0),
    )
    recipe = grown_recipe(recipe, growth)
    # Not while the set grows: the champion, with no output for a new label, would pseudo-label
    # its cases as old ones, outweighing the few human examples of it.
    grows = bool(growth.added)
    want = t.pseudo_labels if recipe.name == "rebuild" and trigger.fire and not grows else 0
    return Plan(champ, data, trigger, recipe, seed, labels.traffic(pool_size(want)), growth)
