"""Consensus between annotators of one task. Pure logic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Consensus:
    label: str | None  # None: no submitted vote yet, or a tie
    agreement: float  # share of submitted votes for the winner (0 when unresolved)
    votes: dict[str, int]
    annotators: int

    @property
    def resolved(self) -> bool:
        return self.label is not None


# A one-click accept of the model's pre-annotation (Label Studio origin "prediction") on a
# case Eddy routed because the model was unsure is weaker evidence than an answer someone
# chose: it weighs half a vote, so an annotator who chose otherwise outweighs it.
ONE_CLICK_WEIGHT = 0.5


def consensus(
    votes: Iterable[tuple[str, str | None] | tuple[str, str | None, str | None]],
) -> Consensus:
    """Weighted majority over ``(status, label[, origin])``; only submitted labels vote.

    Ties stay unresolved: a coin flip would train the model on a guess.
    """
    counts: Counter[str] = Counter()
    weights: dict[str, float] = {}
    for vote in votes:
        status, label = vote[0], vote[1]
        if status != "submitted" or not label:
            continue
        counts[label] += 1
        one_click = len(vote) > 2 and vote[2] == "prediction"
        weights[label] = weights.get(label, 0.0) + (ONE_CLICK_WEIGHT if one_click else 1.0)
    total = sum(counts.values())
    if not total:
        return Consensus(None, 0.0, {}, 0)
    ranked = sorted(weights.items(), key=lambda kv: -kv[1])
    top_label, top = ranked[0]
    if len(ranked) > 1 and ranked[1][1] == top:
        return Consensus(None, 0.0, dict(counts), total)
    return Consensus(top_label, round(top / sum(weights.values()), 4), dict(counts), total)


def parse_ts(value: str) -> datetime:
    """Label Studio timestamps (ISO 8601, `Z` or offset, optional microseconds)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def is_newer(incoming: str, stored: str | None) -> bool:
    """Whether an annotation version should replace the stored one (idempotent replays)."""
    if stored is None:
        return True
    return parse_ts(incoming) > parse_ts(stored)


def annotator_quality(annotations: Iterable[dict[str, object]]) -> dict[str, dict[str, float]]:
    """Per annotator: answers, one-click accepts of the pre-annotation (Label Studio origin
    "prediction"), and agreement with the consensus on tasks that have one from two or more
    votes (the others' votes decide: an annotator is not judged against themselves alone)."""
    by_task: dict[object, list[dict[str, object]]] = {}
    for a in annotations:
        if a.get("status") == "submitted" and a.get("label"):
            by_task.setdefault(a.get("task_id"), []).append(a)
    out: dict[str, dict[str, float]] = {}
    for votes in by_task.values():
        for a in votes:
            who = str(a.get("annotator") or "?")
            q = out.setdefault(who, {"answers": 0, "one_click": 0, "compared": 0, "agree": 0})
            q["answers"] += 1
            q["one_click"] += a.get("origin") == "prediction"
            others = consensus(("submitted", str(o["label"])) for o in votes if o is not a)
            if others.resolved:
                q["compared"] += 1
                q["agree"] += others.label == a["label"]
    for q in out.values():
        if q["compared"]:  # absent when nobody else answered the same tasks
            q["agreement"] = round(q["agree"] / q["compared"], 4)
    return out
