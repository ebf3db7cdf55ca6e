"""Label inflow and the consensus queue from the label store's records. Pure logic; the
records carry text, which nothing here returns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from services.ops.stream import epoch

HOURS = 24


def inflow(annotations: Iterable[Mapping[str, Any]], now: float) -> dict[str, Any]:
    """Annotations received per hour over the last 24 h, by how they arrived (webhook or
    reconciliation poll), oldest hour first, plus the last hour's totals."""
    hours: dict[str, list[int]] = {"webhook": [0] * HOURS, "poll": [0] * HOURS}
    for a in annotations:
        at = epoch(a.get("updated_at"))
        if at is None or at > now + 60:
            continue
        ago = max(0, int((now - at) // 3600))  # up to a minute ahead (clock skew): this hour
        if 0 <= ago < HOURS:
            source = "webhook" if a.get("source") == "webhook" else "poll"
            hours[source][HOURS - 1 - ago] += 1
    return {
        "per_hour": hours,
        "last_hour": {k: v[-1] for k, v in hours.items()},
    }


def awaiting_consensus(examples: Iterable[Mapping[str, Any]]) -> int:
    """Labelled events without a resolved label yet: a tie, or waiting for more votes."""
    return sum(1 for e in examples if e.get("label") is None and e.get("annotators"))


def statuses(annotations: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    return dict(Counter(str(a.get("status")) for a in annotations))
