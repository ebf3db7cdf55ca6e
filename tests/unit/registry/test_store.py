from pathlib import Path

import pytest

from services.registry.store import ModelRegistry, RegistryError


def test_registry_versions_champion_and_meta(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path / "models")
    assert reg.versions() == [] and reg.champion() is None

    def write(d: Path) -> None:
        (d / "config.json").write_text("{}")

    a = reg.add(write, {"labels": ["x", "y"], "parent": None})
    b = reg.add(write, {"labels": ["x", "y"], "parent": 1})
    assert (a.version, b.version) == (1, 2) and reg.versions() == [1, 2]
    assert (b.path / "config.json").is_file() and b.meta["version"] == 2
    reg.set_champion(2)
    champ = reg.champion()
    assert champ is not None and champ.version == 2 and champ.labels == ["x", "y"]
    reg.update_meta(1, note="old")
    assert reg.get(1).meta["note"] == "old"
    with pytest.raises(RegistryError, match="not found"):
        reg.set_champion(9)
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".")]
