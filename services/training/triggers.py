"""When to train. Pure logic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Trigger:
    fire: bool
    reason: str


def should_train(
    new_labels: int,
    oldest_new_age_s: float | None,
    min_new_labels: int,
    max_age_s: float,
    force: bool = False,
    holdout: int | None = None,
    min_holdout: int = 0,
) -> Trigger:
    """Fire on N new labels, or when the oldest unused label has waited T (never on zero),
    once the gate's holdout is big enough to judge the result: a run the gate cannot promote
    spends CPU for nothing, and its labels would be consumed by a refusal."""
    if new_labels == 0:
        return Trigger(False, f"no new labels (0/{min_new_labels})")
    if force:
        return Trigger(True, f"forced ({new_labels} new label(s))")
    if new_labels >= min_new_labels:
        reason = f"{new_labels} new label(s) >= {min_new_labels}"
    elif oldest_new_age_s is not None and oldest_new_age_s >= max_age_s:
        reason = f"oldest new label waited {oldest_new_age_s:.0f}s >= {max_age_s:.0f}s"
    else:
        age = f"{oldest_new_age_s:.0f}s" if oldest_new_age_s is not None else "-"
        return Trigger(
            False,
            f"{new_labels}/{min_new_labels} new label(s), oldest {age} of {max_age_s:.0f}s",
        )
    if holdout is not None and holdout < min_holdout:
        return Trigger(
            False,
            f"{new_labels} new label(s) wait for the holdout: {holdout} of the {min_holdout} "
            "examples the gate needs (EDDY_GATE_MIN_HOLDOUT); audit labels grow it",
        )
    return Trigger(True, reason)
