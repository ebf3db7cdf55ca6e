"""Pruning the registry after a training run or by hand (`eddy prune`): the versions
``registry.retention`` does not keep lose their weights and their cached evaluation answers;
their eddy.json stays."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.core.records import utc_now_iso
from services.core.settings import Settings
from services.registry.open import open_registry
from services.registry.retention import Retention, plan
from services.registry.store import ModelRegistry
from services.training.evaluation import predictions_file

log = logging.getLogger("eddy.trainer")


@dataclass(frozen=True)
class Pruned:
    retention: Retention
    already: list[int]  # pruned before this call (not the ones it finished)
    freed_bytes: int
    keep: int
    dry_run: bool
    named: str = "EDDY_REGISTRY_KEEP"  # where ``keep`` came from, for the summary
    finished: list[int] = field(default_factory=list)  # marked by a prune cut short

    @property
    def removed(self) -> list[int]:
        return sorted({*self.retention.prune, *self.finished})

    def as_dict(self) -> dict[str, Any]:
        r = self.retention
        return {
            "keep": self.keep,
            "dry_run": self.dry_run,
            "pruned": self.removed,
            "freed_bytes": self.freed_bytes,
            "kept": r.kept,
            "kept_newest": r.newest,
            "champion": r.champion,
            "rollback_chain": r.chain,
            "pruned_before": self.already,
        }

    def summary(self) -> str:
        r = self.retention
        if not self.removed:
            return f"nothing to prune: {len(r.kept)} version(s) kept ({self.named}={self.keep})"
        names = ", ".join(f"v{v}" for v in self.removed)
        verb = "would prune" if self.dry_run else "pruned"
        freed = f", {size(self.freed_bytes)} {'to free' if self.dry_run else 'freed'}"
        return f"{verb} {names}{freed}; {len(r.kept)} kept ({self.named}={self.keep})"


def size(n: int) -> str:
    """In 1024s, as `du -h` and the demo count (a version is about 230 MB)."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def prune_registry(
    registry: ModelRegistry,
    keep: int,
    *,
    dry_run: bool = False,
    say: Callable[[str], None] = lambda _m: None,
    named: str = "EDDY_REGISTRY_KEEP",
    by: str = "",
) -> Pruned:
    """Under the pointer lock, so a promotion on this machine (or any, on a shared volume)
    waits, then finds the version marked and refuses with the reason. A prune cut short
    (marked, files left) is finished whatever ``keep`` says now."""
    with registry.pointer_lock():
        versions, empty = registry.versions(), registry.pruned_versions()
        # eddy.json of the versions with files left: after a first prune, about the kept ones.
        metas = {v: registry.get(v).meta for v in versions if v not in empty}
        unfinished = sorted(v for v, m in metas.items() if m.get("pruned_at"))
        gone = empty | set(unfinished)
        retention = plan(versions, gone, registry.champion_version(), registry.history(), keep)
        freed = 0
        if dry_run:
            freed = sum(registry.weight_bytes(v) for v in {*retention.prune, *unfinished})
        else:
            at = utc_now_iso()
            for v in retention.kept:  # a mark left by a prune that died while it settled
                if (metas.get(v) or {}).get("pruning_at"):
                    registry.update_meta(v, pruning_at=None)
            if retention.prune and registry.settle_s:
                retention = _settled(registry, retention, versions, gone, keep, at)
            for v in sorted({*retention.prune, *unfinished}):
                registry.remove_text(predictions_file(v))  # first: a crash leaves v to finish
                freed += registry.prune(v, at, by or f"{named}={keep}")
    done = Pruned(retention, sorted(empty), freed, keep, dry_run, named, unfinished)
    if done.removed:
        say(done.summary())
    return done


def _settled(
    registry: ModelRegistry,
    first: Retention,
    versions: list[int],
    gone: set[int],
    keep: int,
    at: str,
) -> Retention:
    """Mark, wait, look again: a promotion on another machine that checked a version before
    the mark has written the pointer by then, and that version is spared (unmarked). Marked
    (``pruning_at``) it can still be loaded, so no worker fails on a champion spared so."""
    for v in first.prune:
        registry.update_meta(v, pruning_at=at)
    time.sleep(registry.settle_s)
    fresh = plan(versions, gone, registry.champion_version(), registry.history(), keep)
    for v in first.prune:
        if v not in fresh.prune:
            registry.update_meta(v, pruning_at=None)
    return fresh


def prune_after_run(settings: Settings, say: Callable[[str], None]) -> None:
    """A failure to prune costs disk, not the run: said, and the next run tries again."""
    keep = settings.stack.registry_keep
    if keep <= 0:
        return
    try:
        by = f"the trainer (EDDY_REGISTRY_KEEP={keep})"
        prune_registry(open_registry(settings.stack), keep, say=say, by=by)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        log.warning(
            "pruning the registry failed (%s: %s); the next run retries", type(exc).__name__, first
        )
