"""Which model versions keep their weights (EDDY_REGISTRY_KEEP). Pure.

A version is about 230 MB (the torch weights and two ONNX exports), and the loop adds one
every training run: a soak trial's registry only grew. Kept: the newest ``keep`` versions
(recent challengers, the ones an operator may promote by hand), the champion, and the
``keep`` champions a chain of rollbacks would go back to. Every other version loses its
weights and keeps its eddy.json, so `eddy versions`, lineage and scores still read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.registry.lineage import previous_champion


def rollback_chain(
    events: Sequence[Mapping[str, Any]], champion: int, depth: int, gone: Collection[int] = ()
) -> list[int]:
    """The versions `eddy rollback` run again and again would make champion, nearest first;
    it stops at one whose weights are gone (rollback is refused there)."""
    chain: list[int] = []
    seen, current = {champion}, champion
    while len(chain) < depth:
        back = previous_champion(events, current)
        if back is None or back in seen or back in gone:
            break
        chain.append(back)
        seen.add(back)
        current = back
    return chain


@dataclass(frozen=True)
class Retention:
    newest: list[int] = field(default_factory=list)  # the servable ones among the newest
    champion: int | None = None
    chain: list[int] = field(default_factory=list)
    prune: list[int] = field(default_factory=list)

    @property
    def kept(self) -> list[int]:
        """The versions that keep their weights."""
        extra = {self.champion} if self.champion is not None else set()
        return sorted(set(self.newest) | extra | set(self.chain))


def plan(
    versions: Sequence[int],
    gone: Collection[int],
    champion: int | None,
    events: Sequence[Mapping[str, Any]],
    keep: int,
) -> Retention:
    """What to keep and what to prune. ``gone``: versions already pruned, or marked so (their
    weights cannot serve again, whatever ``keep`` says now); ``keep`` 0 keeps everything."""
    ordered = sorted(versions)
    servable = [v for v in ordered if v not in gone]
    if keep <= 0:
        return Retention(newest=servable, champion=champion)
    newest = [v for v in ordered[-keep:] if v not in gone]
    chain = rollback_chain(events, champion, keep, gone) if champion is not None else []
    kept = set(newest) | set(chain) | ({champion} if champion is not None else set())
    return Retention(newest, champion, chain, [v for v in servable if v not in kept])
