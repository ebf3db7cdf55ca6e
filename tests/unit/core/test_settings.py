from pathlib import Path

import pytest
import torch
from pydantic import ValidationError

from services.core.settings import Settings
from services.core.topics import Topics
from services.model.device import select_placement
from services.registry.store import ModelRegistry, RegistryError


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDDY_ROUTING_THRESHOLDS", '{"ads": 0.7}')
    monkeypatch.setenv("EDDY_PARTITIONS", "8")
    monkeypatch.setenv("EDDY_LABELS", '["a", "b"]')
    s = Settings()
    assert s.threshold_for("ads") == 0.7 and s.threshold_for("chat") == s.routing_threshold
    assert s.partitions == 8 and s.labels == ["a", "b"]


def test_settings_reject_unknown_channel_threshold() -> None:
    with pytest.raises(ValidationError, match="unknown channel"):
        Settings(routing_thresholds={"fax": 0.5})


def test_secrets_do_not_leak_in_repr() -> None:
    s = Settings(label_studio_token="supersecret")  # type: ignore[arg-type]
    assert "supersecret" not in repr(s)


def test_topics_prefix() -> None:
    t = Topics("t1.")
    assert t.channel("chat") == "t1.channel.chat.v1"
    assert t.channel_of("t1.channel.ads.v1") == "ads"
    assert t.channel_of("t1.interactions.v1") is None
    assert len(set(t.all())) == 9


def test_device_selection_cpu_and_cuda_paths() -> None:
    cpu = select_placement("auto", "auto", cuda_available=False)
    assert cpu.device.type == "cpu" and cpu.autocast_dtype is None and cpu.precision == "fp32"
    gpu = select_placement("auto", "auto", cuda_available=True, bf16_supported=True)
    assert gpu.device.type == "cuda" and gpu.autocast_dtype is torch.bfloat16
    old = select_placement("auto", "auto", cuda_available=True, bf16_supported=False)
    assert old.autocast_dtype is torch.float16
    assert select_placement("cuda", "fp32", cuda_available=True).autocast_dtype is None
    with pytest.raises(RuntimeError, match="no CUDA"):
        select_placement("cuda", "auto", cuda_available=False)
    with pytest.raises(RuntimeError, match="fp16 needs CUDA"):
        select_placement("cpu", "fp16", cuda_available=False)


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
