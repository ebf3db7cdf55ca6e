from pathlib import Path

import pytest
from pydantic import ValidationError

from services.core.settings import Settings, config_error, env_names, unknown_variables


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDDY_ROUTING_THRESHOLDS", '{"ads": 0.7}')
    monkeypatch.setenv("EDDY_PARTITIONS", "8")
    monkeypatch.setenv("EDDY_LABELS", '["a", "b"]')
    s = Settings()
    r = s.routing
    assert r.threshold_for("ads") == 0.7 and r.threshold_for("chat") == r.threshold
    assert s.kafka.partitions == 8 and s.model.labels == ["a", "b"]


def test_settings_reject_unknown_channel_threshold() -> None:
    with pytest.raises(ValidationError, match="unknown channel"):
        Settings().override(routing={"thresholds": {"fax": 0.5}})


def test_secrets_do_not_leak_in_repr() -> None:
    s = Settings().override(label_studio={"token": "supersecret"})
    assert "supersecret" not in repr(s)
    assert s.to_env()["EDDY_LABEL_STUDIO_TOKEN"] == "supersecret"  # children still get it


def test_settings_round_trip_through_env(monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings().override(
        kafka={"partitions": 7}, trainer={"epochs": 2}, routing={"thresholds": {"ads": 0.3}}
    )
    for k, v in s.to_env().items():
        monkeypatch.setenv(k, v)
    assert Settings().to_env() == s.to_env()  # paths come back absolute


def test_every_env_name_maps_to_one_field() -> None:
    names = env_names()
    assert len(names) == len(set(names.values()))
    assert all(n.startswith("EDDY_") for n in names)
    assert names["EDDY_KAFKA_BOOTSTRAP"] == "kafka.bootstrap"


def test_unknown_and_renamed_variables_are_reported() -> None:
    lines = unknown_variables(
        {"EDDY_KAFKA_BOOTSRAP": "x", "EDDY_TRAIN_EPOCHS": "3", "EDDY_PARTITIONS": "2", "HOME": "/"}
    )
    assert lines == [
        "EDDY_KAFKA_BOOTSRAP is not an Eddy setting (did you mean EDDY_KAFKA_BOOTSTRAP?); "
        "it is ignored",
        "EDDY_TRAIN_EPOCHS was renamed EDDY_BOOTSTRAP_EPOCHS; it is ignored",
    ]


def test_compose_env_files_variables_are_settings_or_composes_own() -> None:
    # A sourced .env warned "EDDY_POSTGRES_PASSWORD is not an Eddy setting" on every command.
    deploy = Path(__file__).resolve().parents[3] / "deploy"
    for name in ("compose.env.example", "eddy.env.example"):
        lines = (deploy / name).read_text().splitlines()
        names = {ln.partition("=")[0] for ln in lines if "=" in ln and not ln.startswith("#")}
        assert unknown_variables(dict.fromkeys(names, "x")) == [], name


def test_override_rejects_unknown_group_and_invalid_value() -> None:
    with pytest.raises(ValueError, match="unknown settings group"):
        Settings().override(kafk={"partitions": 2})
    with pytest.raises(ValidationError):
        Settings().override(kafka={"partitions": 0})


def _error(monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> str:
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError) as caught:
        Settings()
    return config_error(caught.value)


def test_config_errors_are_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    bad_number = _error(monkeypatch, "EDDY_GATE_TOLERANCE", "abc")
    assert bad_number.startswith("EDDY_GATE_TOLERANCE='abc': input should be a valid number")
    monkeypatch.delenv("EDDY_GATE_TOLERANCE")
    out_of_range = _error(monkeypatch, "EDDY_ROUTING_THRESHOLD", "2")
    assert out_of_range == "EDDY_ROUTING_THRESHOLD='2': input should be less than or equal to 1"
    monkeypatch.delenv("EDDY_ROUTING_THRESHOLD")
    bad_json = _error(monkeypatch, "EDDY_LABELS", "notjson")
    assert bad_json.startswith("EDDY_LABELS='notjson': not valid JSON")
    for line in (bad_number, out_of_range, bad_json):
        assert "\n" not in line and "http" not in line


def test_an_audit_floor_above_the_ceiling_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The ceiling won silently: the floor was never reached.
    monkeypatch.setenv("EDDY_AUDIT_MAX_PER_HOUR", "3")
    line = _error(monkeypatch, "EDDY_AUDIT_FLOOR_PER_HOUR", "9")
    assert "EDDY_AUDIT_FLOOR_PER_HOUR=9 is above EDDY_AUDIT_MAX_PER_HOUR=3" in line
    monkeypatch.setenv("EDDY_AUDIT_MAX_PER_HOUR", "0")  # no ceiling: any floor
    assert Settings().routing.audit_floor_per_hour == 9


def test_urls_and_ports_are_checked_at_the_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    # Unchecked, "notaurl" was a 50-line traceback from redis-py or urllib at first use, and
    # port 99999 one from the socket when `eddy up` bound it.
    cases = [
        ("EDDY_REDIS_URL", "notaurl", "must be a URL starting redis:// or rediss:// or unix://"),
        ("EDDY_REDIS_URL", "", "must be a URL starting redis://"),  # no default behind it
        ("EDDY_LABEL_STUDIO_URL", "localhost:8080", "must be a URL starting http:// or https://"),
        ("EDDY_WEBHOOK_URL", "ftp://x/hook", "must be a URL starting http://"),
        ("EDDY_ML_BACKEND_URL", "http://:18003", "with a host"),
        ("EDDY_GATEWAY_PORT", "99999", "less than or equal to 65535"),
        ("EDDY_WEBHOOK_PORT", "0", "greater than or equal to 1"),
        ("EDDY_ML_BACKEND_PORT", "70000", "less than or equal to 65535"),
    ]
    for var, value, wanted in cases:
        line = _error(monkeypatch, var, value)
        assert line.startswith(var) and wanted in line and "\n" not in line, line
        monkeypatch.delenv(var)
    monkeypatch.setenv("EDDY_WEBHOOK_URL", "")  # optional: empty means the default
    assert Settings().label_studio.webhook_url == ""
    monkeypatch.setenv("EDDY_REDIS_URL", "unix:///run/redis.sock")
    monkeypatch.setenv("EDDY_LABEL_STUDIO_URL", "https://ls.internal:8443")
    assert Settings().redis.url == "unix:///run/redis.sock"


def test_override_errors_name_the_variable_too() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings().override(gate={"tolerance": "x"})
    assert config_error(caught.value).startswith("EDDY_GATE_TOLERANCE='x': ")


def test_config_errors_never_echo_a_credential() -> None:
    # A URL's own check says only what is wrong with its shape; the rule is checked here on
    # errors shaped as pydantic reports them for any value.
    from pydantic import BaseModel, Field

    class Probe(BaseModel):
        url: int = Field(validation_alias="EDDY_REDIS_URL")
        size: int = Field(validation_alias="EDDY_DEDUPE_TTL_S")

    with pytest.raises(ValidationError) as caught:
        Probe.model_validate({"EDDY_REDIS_URL": "redis://:hunter2@h/0", "EDDY_DEDUPE_TTL_S": "x"})
    line = config_error(caught.value, {})
    assert "hunter2" not in line and "EDDY_REDIS_URL=<hidden>" in line, line
    assert "EDDY_DEDUPE_TTL_S='x'" in line


def test_config_errors_name_entries_group_checks_and_the_right_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = _error(monkeypatch, "EDDY_ROUTING_THRESHOLDS", '{"chat": "x"}')
    assert entry.startswith("EDDY_ROUTING_THRESHOLDS[chat]='x': input should be a valid number")
    monkeypatch.delenv("EDDY_ROUTING_THRESHOLDS")
    # A group's own check speaks for itself: no "={...}" dump of the group's input.
    group = _error(monkeypatch, "EDDY_METRICS_HOST", "0.0.0.0")
    assert group.startswith("EDDY_METRICS_HOST=0.0.0.0 would serve /metrics"), group
    monkeypatch.delenv("EDDY_METRICS_HOST")
    # Eight field names are shared by groups (port, url, token ...): the failing group's own.
    with pytest.raises(ValidationError) as caught:
        Settings().override(console={"port": 70000})
    assert config_error(caught.value, {}).startswith("EDDY_CONSOLE_PORT=70000: ")
    # Set in lower case (the names match case-insensitively), still read back.
    assert "'notjson'" in _error(monkeypatch, "eddy_labels", "notjson")
