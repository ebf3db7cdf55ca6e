"""Registry history / promote / rollback on a temp dir."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from services.registry.lineage import previous_champion
from services.registry.rollout import (
    change_champion,
    history,
    promote,
    rollback,
    rollback_from,
)
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
    assert previous_champion(history(reg), 3) == 2  # what the console's dialog names
    ev = rollback(reg, publish=events.append)
    assert (ev["type"], ev["version"], ev["previous_version"]) == ("rolled_back", 2, 3)
    assert reg.champion_version() == 2
    # v2's own promotion replaced v1; the rollback that replaced v3 does not count.
    assert previous_champion(history(reg), 2) == 1
    ev = rollback(reg, publish=events.append)
    assert ev["version"] == 1
    assert previous_champion(history(reg), 1) is None
    with pytest.raises(RegistryError, match="no earlier champion"):
        rollback(reg)
    with pytest.raises(RegistryError, match="already the champion"):
        promote(reg, 1, "again")
    with pytest.raises(RegistryError, match="not found"):
        promote(reg, 9, "missing")
    assert [e["type"] for e in history(reg)] == [e["type"] for e in events]
    assert reg.get(1).meta["champion_since"]


def test_rollback_from_a_broken_version_happens_once(tmp_path: Path) -> None:
    reg = _registry(tmp_path, 2)
    change_champion(reg, 1, "bootstrapped", "seed")
    promote(reg, 2, "gate passed")
    # Two workers saw v2 serve NaN: the first rolls it back, the second finds v1 already.
    first = rollback_from(reg, 2, "automatic: v2 produced non-finite probabilities")
    assert first is not None and first["version"] == 1 and reg.champion_version() == 1
    assert rollback_from(reg, 2, "again") is None
    assert reg.champion_version() == 1


def test_an_action_on_a_champion_that_changed_since_the_page_showed_it_is_refused(
    tmp_path: Path,
) -> None:
    """The console's dialog named v2; the gate promoted v3 meanwhile: neither the promotion
    nor the rollback the operator confirmed may act on v3."""
    reg = _registry(tmp_path, 3)
    change_champion(reg, 1, "bootstrapped", "seed")
    promote(reg, 2, "gate passed")
    promote(reg, 3, "gate passed")
    with pytest.raises(RegistryError, match="v3 now, not v2"):
        rollback(reg, "bad", expected=2)
    with pytest.raises(RegistryError, match="v3 now, not v2"):
        promote(reg, 1, "older was better", expected=2)
    assert reg.champion_version() == 3
    assert rollback(reg, "bad", expected=3)["version"] == 2


def test_who_made_each_change_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.core.schemas import validate
    from services.registry import rollout

    reg = _registry(tmp_path, 2)
    events: list[dict[str, Any]] = []
    change_champion(reg, 1, "bootstrapped", "seed", events.append)  # no one named: no field
    promote(reg, 2, "checked", events.append, by="eddy promote (ann@ops-1)")
    rollback(reg, "bad", events.append, by="x" * 300)
    assert [e.get("by") for e in history(reg)] == [None, "eddy promote (ann@ops-1)", "x" * 200]
    assert [validate("model-event", e) for e in events] == [[], [], []]
    assert rollout.person("eddy rollback").startswith("eddy rollback (")

    def no_user() -> str:
        raise KeyError("getpwuid(): uid not found: 12345")

    monkeypatch.setattr("getpass.getuser", no_user)  # a container's bare uid
    assert rollout.person("eddy rollback").startswith(f"eddy rollback (uid {os.getuid()}@")
