"""How many seed examples each version learned from, read from the versions' metadata.

`labels_used` in a version's metadata counts the label store's labels (routed and random
picks; audit labels are never trained on), which is what the `auto` recipe compares with
its threshold. The seed is not in it: v1 learned from the seed alone, a rebuild learns from
the seed again, and a warm run inherits its parent's seed plus the seed holdout it retires.
Listings show both, so v1's "labels" is not 0 beside a v2 that learned from the same seed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def seed_used(metas: Mapping[int, Mapping[str, Any]]) -> dict[int, int]:
    """Version -> seed examples in what it learned from (its own run and its lineage's)."""
    out: dict[int, int] = {}
    for v in sorted(metas):
        meta = metas[v]
        data = meta.get("data") or {}
        if meta.get("kind") == "bootstrap":
            out[v] = int(data.get("train") or 0)
        elif (meta.get("recipe") or {}).get("name") == "rebuild":
            # A rebuild trains on the seed and every store label; trained_on counts both.
            out[v] = max(0, int(data.get("trained_on") or 0) - int(meta.get("labels_used") or 0))
        else:
            parent = meta.get("parent")
            inherited = out.get(int(parent), 0) if parent is not None else 0
            # A bench copy is its parent's weights under another number (its metadata too).
            retiring = 0 if meta.get("kind") == "bench-copy" else data.get("seed_retiring")
            out[v] = inherited + int(retiring or 0)
    return out


def rolled_back(history: Sequence[Mapping[str, Any]]) -> set[int]:
    """Versions whose last time as champion ended in a rollback: the gate's word (promoted,
    rejected) no longer says what happened to them."""
    out: set[int] = set()
    for event in history:
        left, now = event.get("previous_version"), event.get("version")
        if now is not None:
            out.discard(int(now))  # champion (again)
        if left is None or now == left:
            continue
        if event.get("type") == "rolled_back":
            out.add(int(left))
        else:
            out.discard(int(left))
    return out


def previous_champion(events: Sequence[Mapping[str, Any]], current: int) -> int | None:
    """What ``current``'s own promotion replaced, from the registry's history. A rollback
    event does not count, or two rollbacks in a row would bounce between the same two."""
    for event in reversed(events):
        if event["version"] == current and event["type"] in ("promoted", "bootstrapped"):
            return int(event["previous_version"]) if event.get("previous_version") else None
    return None
