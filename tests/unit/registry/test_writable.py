"""A registry that cannot be written is found before training, not after (a Kubernetes Job
with backoffLimit 10 trained eleven times, each ending in a PermissionError traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.core.settings import Settings
from services.registry.store import ModelRegistry, RegistryError
from services.training.bootstrap import bootstrap


def _blocked(tmp_path: Path) -> Path:
    # A path under a plain file cannot be created, whoever runs the test (root included).
    (tmp_path / "file").write_text("")
    return tmp_path / "file" / "models"


def test_check_writable_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="EDDY_REGISTRY_DIR") as info:
        ModelRegistry(_blocked(tmp_path)).check_writable()
    assert str(_blocked(tmp_path)) in str(info.value)
    ModelRegistry(tmp_path / "fresh").check_writable()
    assert list((tmp_path / "fresh").iterdir()) == [], "the probe leaves nothing behind"


def test_bootstrap_refuses_before_reading_or_training(tmp_path: Path) -> None:
    steps: list[object] = []
    s = Settings().override(stack={"data_dir": tmp_path, "registry_dir": _blocked(tmp_path)})
    with pytest.raises(RegistryError):
        bootstrap(s, tmp_path / "no-such-seed.csv", lambda *a: steps.append(a))
    assert steps == []
