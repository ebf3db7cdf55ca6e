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


def test_registry_documents_and_history(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path / "models")
    assert reg.read_text("seed_train.jsonl") is None and reg.history() == []
    reg.write_text("seed_train.jsonl", '{"text": "a", "label": "x"}\n')
    assert reg.read_text("seed_train.jsonl") == '{"text": "a", "label": "x"}\n'
    reg.record({"type": "promoted", "version": 2})
    reg.record({"type": "rolled_back", "version": 1})
    assert [e["version"] for e in reg.history()] == [2, 1]
    with reg.pointer_lock():
        pass
    assert reg.where == str(tmp_path / "models")


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://models", "models", ""),
        ("s3://models/", "models", ""),
        ("s3://models/eddy/prod/", "models", "eddy/prod/"),
    ],
)
def test_s3_urls(url: str, bucket: str, prefix: str) -> None:
    from services.registry.s3parts import parse_url

    assert parse_url(url) == (bucket, prefix)


@pytest.mark.parametrize("url", ["models", "s3://", "http://minio/models"])
def test_bad_s3_urls_name_the_setting(url: str) -> None:
    from services.registry.s3parts import parse_url

    with pytest.raises(RegistryError, match="EDDY_MODEL_STORE"):
        parse_url(url)


def test_the_cli_says_a_registry_error_in_one_line() -> None:
    from services.cli.errors import dependency_message
    from services.core.settings import Settings

    exc = RegistryError("EDDY_MODEL_STORE='x' is not s3://BUCKET[/PREFIX]")
    assert dependency_message(exc, Settings()) == str(exc)
