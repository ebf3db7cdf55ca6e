"""Pruning the registry after a training run or by hand (`eddy prune`): the versions
``registry.retention`` does not keep lose their weights and their cached evaluation answers;
their eddy.json stays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.core.records import utc_now_iso
from services.core.settings import Settings
from services.registry.open import open_registry
from services.registry.retention import Retention, plan
from services.registry.store import ModelRegistry
from services.training.evaluation import predictions_file


@dataclass(frozen=True)
class Pruned:
    retention: Retention
    already: list[int]  # pruned before this call
    freed_bytes: int
    keep: int
    dry_run: bool
    named: str = "EDDY_REGISTRY_KEEP"  # where ``keep`` came from, for the summary

    def as_dict(self) -> dict[str, Any]:
        r = self.retention
        return {
            "keep": self.keep,
            "dry_run": self.dry_run,
            "pruned": r.prune,
            "freed_bytes": self.freed_bytes,
            "kept": r.kept,
            "kept_newest": r.newest,
            "champion": r.champion,
            "rollback_chain": r.chain,
            "pruned_before": self.already,
        }

    def summary(self) -> str:
        r = self.retention
        if not r.prune:
            return f"nothing to prune: {len(r.kept)} version(s) kept ({self.named}={self.keep})"
        names = ", ".join(f"v{v}" for v in r.prune)
        verb = "would prune" if self.dry_run else "pruned"
        freed = "" if self.dry_run else f", {size(self.freed_bytes)} freed"
        return f"{verb} {names}{freed}; {len(r.kept)} kept ({self.named}={self.keep})"


def size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
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
) -> Pruned:
    """Under the pointer lock, so a promotion by hand cannot pick a version being pruned: it
    waits, then finds the version marked and refuses with the reason."""
    with registry.pointer_lock():
        already = registry.pruned_versions()
        retention = plan(
            registry.versions(), already, registry.champion_version(), registry.history(), keep
        )
        freed = 0
        if not dry_run:
            at = utc_now_iso()
            for v in retention.prune:
                freed += registry.prune(v, at)
                registry.remove_text(predictions_file(v))
    done = Pruned(retention, sorted(already), freed, keep, dry_run, named)
    if retention.prune:
        say(done.summary())
    return done


def prune_after_run(settings: Settings, say: Callable[[str], None]) -> None:
    """A failure to prune costs disk, not the run: said, and the next run tries again."""
    keep = settings.stack.registry_keep
    if keep <= 0:
        return
    try:
        prune_registry(open_registry(settings.stack), keep, say=say)
    except Exception as exc:
        say(f"pruning the registry failed ({type(exc).__name__}: {exc}); the next run retries")
