"""Summaries of `eddy simulate` arms. Pure logic: mean curves over seeds, the area under the
learning curve, and the labels a strategy needs to reach random's final accuracy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise
from statistics import mean, stdev
from typing import Any


def arm_key(arm: dict[str, Any], recipes: int) -> str:
    return arm["strategy"] if recipes == 1 else f"{arm['strategy']}@{arm['recipe']}"


def _at(points: Sequence[tuple[int, float]], x: int) -> float:
    """The arm's curve at ``x`` labels, linear between its points (``x`` within its range)."""
    for (x0, y0), (x1, y1) in pairwise(points):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


def mean_curve(arms: Sequence[dict[str, Any]], metric: str = "accuracy") -> list[dict[str, Any]]:
    """Mean and spread (sample sd) of ``metric`` over the arms, at every label count any arm
    measured up to the last one all of them reached; an arm without a point there is read
    between its neighbours. Seeds whose stream ran out end at different counts (276, 277,
    278): grouped as they were, each end was one seed's figure with an sd of 0."""
    curves = [
        sorted((int(p["labels"]), float(p[metric])) for p in arm["points"])
        for arm in arms
        if arm["points"]
    ]
    if not curves:
        return []
    end = min(c[-1][0] for c in curves)
    start = max(c[0][0] for c in curves)
    grid = sorted({x for c in curves for x, _ in c if start <= x <= end})
    out = []
    for x in grid:
        v = [_at(c, x) for c in curves]
        sd = stdev(v) if len(v) > 1 else 0.0
        out.append(
            {"labels": x, "mean": mean(v), "sd": sd, "min": min(v), "max": max(v), "n": len(v)}
        )
    return out


def auc(curve: Sequence[dict[str, Any]]) -> float | None:
    """Area under the mean curve (trapezoids), divided by its label range: a mean accuracy."""
    if len(curve) < 2:
        return None
    area = sum(
        (b["labels"] - a["labels"]) * (a["mean"] + b["mean"]) / 2 for a, b in pairwise(curve)
    )
    span = float(curve[-1]["labels"] - curve[0]["labels"])
    return float(area) / span


def labels_to_reach(curve: Sequence[dict[str, Any]], target: float) -> int | None:
    """The fewest labels at which the mean curve (over seeds) reaches ``target``, at the
    curve's own label counts (its steps); None if it never does."""
    for p in curve:
        if p["mean"] >= target:
            return int(p["labels"])
    return None


def summarise(arms: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per strategy (per strategy@recipe when several recipes ran): AUC, final accuracy and
    macro-F1, the labels needed to match random's final accuracy at the same recipe, and how
    many gate decisions the test set shows wrong by more than 2 points."""
    recipes = {a["recipe"] for a in arms}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for arm in arms:
        groups[arm_key(arm, len(recipes))].append(arm)
    out: dict[str, dict[str, Any]] = {}
    for key, group in sorted(groups.items()):
        curve = mean_curve(group)
        f1 = mean_curve(group, "macro_f1")
        recipe = group[0]["recipe"]
        random_key = arm_key({"strategy": "random", "recipe": recipe}, len(recipes))
        target = mean_curve(groups[random_key])[-1]["mean"] if random_key in groups else None
        area = auc(curve)
        # Every gate decision checked on the test set (see ``arm._checked``).
        checked = [r for arm in group for r in arm.get("runs", []) if "wrong" in r]
        out[key] = {
            "seeds": len(group),
            "recipe": recipe,
            "auc": round(area, 4) if area is not None else None,
            "final_labels": curve[-1]["labels"],
            "final_accuracy": round(curve[-1]["mean"], 4),
            "final_accuracy_sd": round(curve[-1]["sd"], 4),
            "final_macro_f1": round(f1[-1]["mean"], 4),
            "labels_to_match_random": labels_to_reach(curve, target) if target else None,
            "gate_decisions": len(checked),
            "gate_wrong": sum(bool(r["wrong"]) for r in checked),
        }
    return out
