"""Which training recipe a run uses. Pure logic.

- warm: fine-tune a copy of the champion on the new labels plus a replay sample (cheap);
- rebuild: the base encoder with a new head, trained on every label so far, seed included.

Measured with `eddy simulate` on the airline tweets (README § Training recipe): rebuild learns
more per label while labels are few; from a couple of hundred labels on, warm is as good at a
fraction of the CPU, and better when annotators make mistakes (rebuilds on a growing, noisy,
margin-picked set slid 1-2 points). ``auto`` follows that.
"""

from __future__ import annotations

from dataclasses import dataclass
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
