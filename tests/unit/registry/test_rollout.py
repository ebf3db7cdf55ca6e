"""Registry history / promote / rollback on a temp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.registry.rollout import change_champion, history, promote, rollback
from services.registry.store import ModelRegistry, RegistryError


def _registry(tmp_path: Path, n: int) -> ModelRegistry:
    reg = ModelRegistry(tmp_path / "models")
    for _ in range(n):
        reg.add(lambda d: (d / "weights").write_text("x"), {"labels": ["a", "b"]})
    return reg


def test_promote_and_rollback_follow_history(tmp_path: Path) -> None:
    reg = _registry(tmp_path, 3)
    events: list[dict[str, Any]] = []
    change_champion(reg, 1, "bootstrapped", "seed", events.append)
    promote(reg, 2, "gate passed", events.append)
    promote(reg, 3, "gate passed", events.append)
    assert reg.champion_version() == 3
    ev = rollback(reg, publish=events.append)
    assert (ev["type"], ev["version"], ev["previous_version"]) == ("rolled_back", 2, 3)
    assert reg.champion_version() == 2
    ev = rollback(reg, publish=events.append)
    assert ev["version"] == 1
    with pytest.raises(RegistryError, match="no earlier champion"):
        rollback(reg)
    with pytest.raises(RegistryError, match="already the champion"):
        promote(reg, 1, "again")
    with pytest.raises(RegistryError, match="not found"):
        promote(reg, 9, "missing")
    assert [e["type"] for e in history(reg)] == [e["type"] for e in events]
    assert reg.get(1).meta["champion_since"]
