"""The model timeline: every version with what happened to it and why, and the champion's
accuracy on the common evaluation set over time. Pure logic over the registry's metadata,
its history and the evaluation document (training.evaluation writes it)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from services.model.metrics import wilson


def scored(evaluation: Mapping[str, Any], version: int) -> dict[str, Any] | None:
    """A version's accuracy on the common evaluation set with a 95% Wilson interval."""
    sc = (evaluation.get("versions") or {}).get(str(version))
    if not sc or not sc.get("n"):
        return None
    n = int(sc["n"])
    iv = wilson(round(float(sc["accuracy"]) * n), n)
    return {
        "accuracy": float(sc["accuracy"]),
        "macro_f1": sc.get("macro_f1"),
        "n": n,
        "low": round(iv.low, 4),
        "high": round(iv.high, 4),
        "stale": bool(sc.get("stale")),
    }


def version_entry(
    meta: Mapping[str, Any],
    evaluation: Mapping[str, Any],
    seed: int = 0,
    rolled_back: bool = False,
) -> dict[str, Any]:
    """One version as the console lists it; ``seed`` from registry.lineage.seed_used,
    ``rolled_back`` from registry.lineage.rolled_back."""
    v = int(meta["version"])
    data = meta.get("data") or {}
    return {
        "version": v,
        "created_at": meta.get("created_at"),
        "pruned_at": meta.get("pruned_at"),  # weights removed: cannot be promoted
        "kind": meta.get("kind"),
        "status": meta.get("status"),
        "rolled_back": rolled_back,
        "parent": meta.get("parent"),
        "reasons": list(meta.get("decision") or []),
        "gate": meta.get("gate") or {},
        "trigger": meta.get("trigger"),
        "recipe": (meta.get("recipe") or {}).get("name"),
        "labels_used": int(meta.get("labels_used") or 0),
        "seed_used": seed,
        "new_labels": data.get("new"),
        "trained_on": data.get("trained_on", data.get("train")),
        "holdout": meta.get("metrics"),
        "evaluation": scored(evaluation, v),
    }


def champion_series(
    history: Sequence[Mapping[str, Any]], evaluation: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One point per change of champion: when, which version, its common-set accuracy."""
    out = []
    for event in history:
        if event.get("type") not in ("bootstrapped", "promoted", "rolled_back"):
            continue
        v = int(event["version"])
        sc = scored(evaluation, v)
        out.append(
            {
                "at": event.get("at"),
                "version": v,
                "type": event.get("type"),
                "reason": event.get("reason"),
                **({k: sc[k] for k in ("accuracy", "low", "high", "n")} if sc else {}),
            }
        )
    return out


def training_mix(meta: Mapping[str, Any] | None) -> dict[str, float] | None:
    """The champion's training label mix (shares), for drift against training data."""
    counts = ((meta or {}).get("data") or {}).get("train_per_label") or {}
    total = sum(counts.values())
    if not total:
        return None
    return {str(k): v / total for k, v in counts.items()}


def finite(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None
