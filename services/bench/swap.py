"""A promotion under load: events keep coming at a steady rate while a new version becomes
champion a third of the way through (the workers see it within EDDY_MODEL_POLL_S and load
it). Measured: the stall (the longest gap between predictions from the promotion until just
after the new version's first prediction, against the longest gap before the promotion),
how long the switch took, and any event lost or predicted twice."""

from __future__ import annotations

import itertools
import time
from typing import Any

from services.bench.champion import link_version
from services.bench.probe import StreamProbe
from services.core.settings import Settings
from services.registry import rollout
from services.registry.open import open_registry


def _gaps_ms(times: list[float]) -> list[float]:
    return [(b - a) * 1000 for a, b in itertools.pairwise(times)]


def promotion_under_load(
    s: Settings, probe: StreamProbe, texts: list[str], run: str, rate: float, seconds: float
) -> dict[str, Any]:
    registry = open_registry(s.stack)
    champ = registry.champion()
    assert champ is not None
    promoted: dict[str, float] = {}

    def promote() -> None:
        meta = {k: v for k, v in champ.meta.items() if k not in ("version", "champion_since")}
        # The same weights under a new version number.
        ref = registry.add(
            lambda d: link_version(champ.path, d),
            {**meta, "kind": "bench-copy", "parent": champ.version},
        )
        promoted["at"] = time.time()
        rollout.promote(
            registry, ref.version, "eddy bench: a promotion under load", by="eddy bench"
        )
        promoted["version"] = ref.version

    sent = probe.paced(texts, f"{run}s", rate, seconds, at=(seconds / 3, promote))
    w = probe.watcher
    w.wait(set(sent), 60)
    new = promoted.get("version")
    by_new = [w.seen[e] for e in sent if w.records.get(e, {}).get("model_version") == new]
    first_new = min(by_new) if by_new else None
    at = promoted.get("at", time.time())
    times = sorted(w.seen[e] for e in sent if e in w.seen)
    last = times[-1] if times else at
    end = (first_new if first_new is not None else last) + 1.0
    window = [t for t in times if at <= t <= end]
    before = [t for t in times if t < at]
    return {
        "stall_ms": round(max(_gaps_ms(window), default=0.0), 1),
        "gap_before_ms": round(max(_gaps_ms(before), default=0.0), 1),
        "switch_ms": round((first_new - at) * 1000, 1) if first_new is not None else None,
        "lost": sum(1 for e in sent if e not in w.seen),
        "duplicated": sum(1 for e in sent if w.counts[e] > 1),
        "events": len(sent),
        "from_version": champ.version,
        "to_version": new,
        "rate_eps": rate,
    }
