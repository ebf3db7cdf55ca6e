"""Which training recipe a run uses. Pure logic.

- warm: fine-tune a copy of the champion on the new labels plus a replay sample (cheap);
- rebuild: the base encoder with a new head, trained on every label so far, seed included.

Measured with `eddy simulate` on the airline tweets (README § Training recipe): rebuild learns
more per label while labels are few; from a couple of hundred labels on, warm is as good at a
fraction of the CPU, and better when annotators make mistakes (rebuilds on a growing, noisy,
margin-picked set slid 1-2 points). ``auto`` follows that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

RecipeName = Literal["warm", "rebuild"]


@dataclass(frozen=True)
class Recipe:
    name: RecipeName
    reason: str


def choose_recipe(
    requested: str, routed_labels: int, rebuild_below: int, champion_labels: int | None = None
) -> Recipe:
    """``requested`` is auto, warm or rebuild; ``routed_labels`` counts every trainable label
    so far (new and earlier, audit excluded); ``champion_labels`` the routed labels the
    champion learned from (0 for a bootstrap model)."""
    if requested == "warm":
        return Recipe("warm", "asked for warm (EDDY_TRAINER_RECIPE=warm)")
    if requested == "rebuild":
        return Recipe("rebuild", "asked for rebuild (EDDY_TRAINER_RECIPE=rebuild)")
    if requested != "auto":
        raise ValueError(f"unknown recipe {requested!r}; choose auto, warm or rebuild")
    if routed_labels < rebuild_below:
        return Recipe("rebuild", f"{routed_labels} labels < {rebuild_below}: rebuild from base")
    if champion_labels is not None and champion_labels < rebuild_below:
        # Warm-starting a seed-only model on a first big batch (the trainer waited for its
        # holdout) ended 2-3 points below a lineage that started with a rebuild.
        return Recipe(
            "rebuild",
            f"the champion learned from {champion_labels} labels < {rebuild_below}: "
            "rebuild from base on all of them",
        )
    return Recipe("warm", f"{routed_labels} labels >= {rebuild_below}: warm start")


@dataclass(frozen=True)
class LabelGrowth:
    """The run's label set: the champion's, grown by the labels EDDY_LABELS adds once each
    has enough examples to learn from (a new class without a re-bootstrap)."""

    labels: list[str]
    added: list[str]  # labels this run adds to the champion's (it must rebuild: a new head)
    note: str  # for the trigger's reason: what grows, or what it waits for ("" when nothing)


def grow_labels(
    champion: Sequence[str], wanted: Sequence[str], examples: Mapping[str, int], minimum: int
) -> LabelGrowth:
    """``wanted`` is EDDY_LABELS ([] when unset); ``examples`` the trainable labels (audit
    ones excluded) by class. Growth only: a label EDDY_LABELS drops or renames needs a new
    bootstrap (the seed relabelled), so then the champion's set stays and the note says why."""
    same = LabelGrowth(list(champion), [], "")
    gone = [lab for lab in champion if lab not in wanted]
    if not wanted or set(wanted) == set(champion):
        return same
    if gone:
        return replace(
            same,
            note=f"EDDY_LABELS lacks the champion's {', '.join(gone)}: the loop keeps the "
            "champion's labels (removing or renaming one takes `eddy bootstrap --force`)",
        )
    new = [lab for lab in wanted if lab not in champion]
    ready = [lab for lab in new if examples.get(lab, 0) >= minimum]
    short = [f"{lab} {examples.get(lab, 0)}/{minimum}" for lab in new if lab not in ready]
    waits = f"new label(s) wait for examples: {', '.join(short)}" if short else ""
    if not ready:
        return replace(same, note=waits + " (EDDY_TRAINER_NEW_LABEL_MIN)")
    counts = ", ".join(f"{lab} ({examples[lab]} examples)" for lab in ready)
    note = f"the label set grows: + {counts}" + (f"; {waits}" if waits else "")
    return LabelGrowth([*champion, *ready], ready, note)


def grown_recipe(recipe: Recipe, growth: LabelGrowth) -> Recipe:
    """A new class needs a new head: a grown run rebuilds from the base encoder, whatever
    EDDY_TRAINER_RECIPE asks (a warm copy of the champion has no output for it)."""
    if not growth.added:
        return recipe
    return Recipe("rebuild", f"the label set grows (+ {', '.join(growth.added)}): rebuild "
                  "from base with a head for every label")  # fmt: skip
