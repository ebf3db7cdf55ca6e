"""Which versions keep their weights (pure), and pruning a directory registry on a temp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.registry.retention import plan, rollback_chain
from services.registry.rollout import change_champion, promote, rollback, rollback_target
from services.registry.store import ModelRegistry, RegistryError
from services.training.evaluation import predictions_file
from services.training.pruning import prune_registry


def _event(kind: str, version: int, previous: int | None) -> dict[str, Any]:
    return {"type": kind, "version": version, "previous_version": previous}


# v1 bootstrapped; v3, v6, v9 promoted in turn; the others rejected.
EVENTS = [
    _event("bootstrapped", 1, None),
    _event("promoted", 3, 1),
    _event("promoted", 6, 3),
    _event("promoted", 9, 6),
]


def test_keeps_the_newest_the_champion_and_its_rollback_chain() -> None:
    r = plan(list(range(1, 13)), set(), 9, EVENTS, 2)
    assert r.newest == [11, 12]
    assert r.chain == [6, 3]  # what two `eddy rollback`s in a row would serve
    assert r.kept == [3, 6, 9, 11, 12]
    assert r.prune == [1, 2, 4, 5, 7, 8, 10]


def test_keep_zero_keeps_everything_and_pruned_versions_are_not_pruned_again() -> None:
    assert plan([1, 2, 3], set(), 3, EVENTS, 0).prune == []
    assert plan(list(range(1, 13)), {1, 2, 4}, 9, EVENTS, 2).prune == [5, 7, 8, 10]
    # A version already gone is not counted kept, and the chain stops there (rollback would).
    r = plan(list(range(1, 13)), {3, 12}, 9, EVENTS, 5)
    assert r.newest == [8, 9, 10, 11] and r.chain == [6] and 3 not in r.kept


def test_the_chain_follows_promotions_not_rollbacks_and_stops_at_a_loop() -> None:
    rolled = [*EVENTS, _event("rolled_back", 6, 9)]
    # Champion v6 again: rollback goes to what v6's own promotion replaced, v3, then v1.
    assert rollback_chain(rolled, 6, 5) == [3, 1]
    looped = [_event("promoted", 2, 1), _event("promoted", 1, 2)]
    assert rollback_chain(looped, 1, 5) == [2]
    assert plan([1], set(), None, [], 3).kept == [1]  # no champion yet


def _registry(tmp_path: Path, n: int) -> ModelRegistry:
    reg = ModelRegistry(tmp_path / "models")
    for _ in range(n):

        def write(d: Path) -> None:
            (d / "model.safetensors").write_bytes(b"w" * 1000)
            (d / "onnx").mkdir()
            (d / "onnx" / "model.onnx").write_bytes(b"o" * 500)

        reg.add(write, {"labels": ["a", "b"], "created_at": "then"})
    return reg


def test_pruning_keeps_the_history_and_refuses_to_serve_a_pruned_version(tmp_path: Path) -> None:
    reg = _registry(tmp_path, 5)
    change_champion(reg, 1, "bootstrapped", "seed")
    promote(reg, 2, "gate passed")
    promote(reg, 4, "gate passed")
    for v in (1, 2, 3):
        reg.write_json(predictions_file(v), {"how": "x", "predictions": {}})
    said: list[str] = []
    dry = prune_registry(reg, 1, dry_run=True)
    assert dry.retention.prune == [1, 3] and dry.freed_bytes == 3000 and not reg.pruned_versions()
    assert dry.summary() == "would prune v1, v3, 2.9 kB to free; 3 kept (EDDY_REGISTRY_KEEP=1)"
    done = prune_registry(reg, 1, say=said.append)  # keeps v5 (newest), v4, v2 (rollback)
    assert done.retention.prune == [1, 3] and done.freed_bytes == 2 * 1500
    assert said == ["pruned v1, v3, 2.9 kB freed; 3 kept (EDDY_REGISTRY_KEEP=1)"]
    assert reg.versions() == [1, 2, 3, 4, 5] and reg.pruned_versions() == {1, 3}
    assert [p.name for p in (tmp_path / "models" / "v3").iterdir()] == ["eddy.json"]
    assert reg.get(3).meta["created_at"] == "then" and reg.get(3).pruned
    assert reg.read_json(predictions_file(3)) is None
    assert reg.read_json(predictions_file(2)) is not None
    with pytest.raises(RegistryError, match=r"removed at .* by EDDY_REGISTRY_KEEP=1, to bound"):
        _ = reg.get(3).path
    with pytest.raises(RegistryError, match="can no longer be loaded or made champion"):
        promote(reg, 3, "by hand")
    assert reg.champion_version() == 4
    assert rollback(reg)["version"] == 2  # the chain was kept
    with pytest.raises(RegistryError, match="v1's weights were removed"):
        rollback_target(reg)
    # Champion v2 now: v4, rolled back and no longer the newest, goes at the next prune.
    assert prune_registry(reg, 1).retention.prune == [4]
    assert prune_registry(reg, 1).retention.prune == []  # nothing left to do


def test_a_prune_cut_short_is_finished_by_the_next_whatever_keep_says(tmp_path: Path) -> None:
    reg = _registry(tmp_path, 3)
    change_champion(reg, 3, "bootstrapped", "seed")
    reg.update_meta(1, pruned_at="earlier")  # marked, then the process died
    reg.update_meta(2, pruning_at="earlier")  # marked to settle, then the process died
    assert reg.pruned_versions() == set()  # their files are still there
    with pytest.raises(RegistryError, match="are being removed"):
        promote(reg, 2, "by hand")
    # keep 5 now: v1 is finished all the same (it cannot serve again), v2 kept and unmarked.
    done = prune_registry(reg, 5)
    assert done.removed == [1] and done.retention.prune == [] and done.freed_bytes == 1500
    assert done.retention.kept == [2, 3] and done.as_dict()["pruned"] == [1]
    assert done.as_dict()["pruned_before"] == []  # finished now, so not "before" as well
    assert reg.get(1).meta["pruned_at"] == "earlier" and reg.pruned_versions() == {1}
    assert not reg.get(2).meta["pruning_at"]
    promote(reg, 2, "by hand")


def test_a_promotion_elsewhere_while_a_prune_settles_spares_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The S3 store's case (its lock is one machine's): another machine checked v2 before the
    mark and writes the pointer while the prune waits; v2 must keep its weights."""

    reg = _registry(tmp_path, 4)
    change_champion(reg, 4, "bootstrapped", "seed")
    reg.settle_s = 0.5
    marks: list[object] = []

    def promoted_elsewhere(_s: float) -> None:
        marks.append(reg.get(2).meta.get("pruning_at"))
        reg._atomic_write(reg.root / "CHAMPION", "2\n")  # past its check: the pointer only

    monkeypatch.setattr("services.training.pruning.time.sleep", promoted_elsewhere)
    done = prune_registry(reg, 1)
    assert marks and marks[0], "marked while it settled"
    assert done.retention.prune == [1, 3] and reg.pruned_versions() == {1, 3}
    ref = reg.get(2)
    assert not ref.meta["pruning_at"] and (ref.path / "model.safetensors").is_file()
