"""Which training recipe a run uses. Pure logic.

- warm: fine-tune a copy of the champion on the new labels plus a replay sample (cheap);
- rebuild: the base encoder with a new head, trained on every label so far, seed included.

Measured with `eddy simulate` on the airline tweets (README § Training recipe): rebuild learns
more per label while labels are few; from a couple of hundred labels on, warm is as good at a
fraction of the CPU. ``auto`` follows that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RecipeName = Literal["warm", "rebuild"]


@dataclass(frozen=True)
class Recipe:
    name: RecipeName
    reason: str


def choose_recipe(requested: str, routed_labels: int, rebuild_below: int) -> Recipe:
    """``requested`` is auto, warm or rebuild; ``routed_labels`` counts every trainable label
    so far (new and earlier, audit excluded)."""
    if requested == "warm":
        return Recipe("warm", "asked for warm (EDDY_TRAINER_RECIPE=warm)")
    if requested == "rebuild":
        return Recipe("rebuild", "asked for rebuild (EDDY_TRAINER_RECIPE=rebuild)")
    if requested != "auto":
        raise ValueError(f"unknown recipe {requested!r}; choose auto, warm or rebuild")
    if routed_labels < rebuild_below:
        return Recipe("rebuild", f"{routed_labels} labels < {rebuild_below}: rebuild from base")
    return Recipe("warm", f"{routed_labels} labels >= {rebuild_below}: warm start")
