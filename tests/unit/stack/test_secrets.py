"""Generated secrets: strong, private, stable across starts, and never over an operator's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from services.core.rawletters import RawSealer
from services.core.settings import Settings, public_secrets
from services.stack import secrets


def _settings(tmp_path: Path, **label_studio: object) -> Settings:
    return Settings().override(stack={"data_dir": tmp_path}, label_studio=label_studio)


def test_first_start_generates_every_secret_into_a_private_file(tmp_path: Path) -> None:
    said: list[str] = []
    s = secrets.ensure(_settings(tmp_path), said.append)
    path = tmp_path / secrets.FILE
    assert path.stat().st_mode & 0o777 == 0o600
    values = secrets.read(tmp_path)
    assert set(values) == set(secrets.GENERATED)
    assert all(len(v) >= 40 for v in values.values())
    assert len(set(values.values())) == len(values), "each secret is its own"
    assert s.gateway.token is not None
    assert s.gateway.token.get_secret_value() == values["EDDY_GATEWAY_TOKEN"]
    assert s.redis.password is not None
    assert s.kafka.deadletter_raw_key is not None
    assert RawSealer(s.kafka.deadletter_raw_key.get_secret_value(), 10_000).seal(b"x")
    assert public_secrets(s.override(kafka={"deadletter_keep_raw": True})) == []
    assert public_secrets(s) == [], "nothing public is left"
    assert "generated EDDY_GATEWAY_TOKEN" in said[0] and values["EDDY_GATEWAY_TOKEN"] not in said[0]


def test_a_second_start_reuses_them(tmp_path: Path) -> None:
    first = secrets.ensure(_settings(tmp_path), lambda _m: None)
    said: list[str] = []
    second = secrets.ensure(_settings(tmp_path), said.append)
    assert said == []
    assert second.label_studio.token == first.label_studio.token
    # Commands that only read (eddy status, eddy train ...) see the same values.
    read_only = secrets.apply(_settings(tmp_path), secrets.read(tmp_path))
    assert read_only.redis.password == first.redis.password


def test_an_operators_own_secret_wins(tmp_path: Path) -> None:
    mine = SecretStr("operator-chosen-webhook-secret")
    s = secrets.ensure(_settings(tmp_path, webhook_secret=mine), lambda _m: None)
    assert s.label_studio.webhook_secret == mine
    assert "EDDY_WEBHOOK_SECRET" not in secrets.read(tmp_path)


def test_an_empty_secret_counts_as_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`EDDY_GATEWAY_TOKEN=` as eddy.env.example ships it: the generated secret is used (it
    left the gateway, webhook and ML backend open), on the first start and on later ones."""
    for name in ("EDDY_GATEWAY_TOKEN", "EDDY_WEBHOOK_SECRET", "EDDY_ML_BACKEND_PASSWORD"):
        monkeypatch.setenv(name, "")
    blank = Settings().override(stack={"data_dir": tmp_path})
    assert blank.gateway.token is not None and blank.gateway.token.get_secret_value() == ""
    for _ in range(2):
        s = secrets.ensure(blank, lambda _m: None)
        values = secrets.read(tmp_path)
        assert s.gateway.token == SecretStr(values["EDDY_GATEWAY_TOKEN"])
        assert s.label_studio.webhook_secret == SecretStr(values["EDDY_WEBHOOK_SECRET"])
        assert s.annotation.ml_backend_password == SecretStr(values["EDDY_ML_BACKEND_PASSWORD"])


def test_an_empty_label_studio_token_over_an_old_database_is_its_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "label-studio").mkdir()
    monkeypatch.setenv("EDDY_LABEL_STUDIO_TOKEN", "")
    s = secrets.ensure(Settings().override(stack={"data_dir": tmp_path}), lambda _m: None)
    default = type(Settings().label_studio).model_fields["token"].default
    assert s.label_studio.token == default, "not an empty token written to secrets.env"
    assert secrets.read(tmp_path)["EDDY_LABEL_STUDIO_TOKEN"] == default.get_secret_value()


def test_label_studio_created_before_keeps_its_credentials(tmp_path: Path) -> None:
    (tmp_path / "label-studio").mkdir()
    said: list[str] = []
    s = secrets.ensure(_settings(tmp_path), said.append)
    default = Settings().label_studio.token
    assert s.label_studio.token == default, "its database holds the token it was created with"
    assert s.gateway.token is not None and s.gateway.token != default
    assert any("EDDY_LABEL_STUDIO_TOKEN" in m and "public default" in m for m in said)


def test_the_file_ignores_what_is_not_a_secret(tmp_path: Path) -> None:
    (tmp_path / secrets.FILE).write_text("# note\nEDDY_KAFKA_BOOTSTRAP=evil:1\nNOPE\n")
    assert secrets.read(tmp_path) == {}


def test_the_data_dir_is_made_private_new_or_old(tmp_path: Path) -> None:
    # Raw events in the broker's files, Label Studio's database and Redis's log hold customer
    # text; under a 0755 data dir every user of the machine could read them.
    said: list[str] = []
    new = tmp_path / "new" / "data"
    secrets.ensure(_settings(new), said.append)
    assert new.stat().st_mode & 0o777 == 0o700
    old = tmp_path / "old"
    old.mkdir(mode=0o755)
    old.chmod(0o755)
    secrets.private_dir(old, said.append)
    assert old.stat().st_mode & 0o777 == 0o700
