"""Summaries of `eddy simulate` arms. Pure logic: mean curves over seeds, the area under the
learning curve, and the labels a strategy needs to reach random's final accuracy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise
from statistics import mean, pstdev
from typing import Any


def arm_key(arm: dict[str, Any], recipes: int) -> str:
    return arm["strategy"] if recipes == 1 else f"{arm['strategy']}@{arm['recipe']}"


def mean_curve(arms: Sequence[dict[str, Any]], metric: str = "accuracy") -> list[dict[str, Any]]:
    """Mean and spread of ``metric`` at each label count the arms share."""
    by_labels: dict[int, list[float]] = defaultdict(list)
    for arm in arms:
        for p in arm["points"]:
            by_labels[int(p["labels"])].append(float(p[metric]))
    return [
        {"labels": n, "mean": mean(v), "sd": pstdev(v), "min": min(v), "max": max(v), "n": len(v)}
        for n, v in sorted(by_labels.items())
    ]


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
    """The fewest labels at which the mean curve reaches ``target`` (None if it never does)."""
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
