import pytest
from pydantic import ValidationError

from services.core.settings import Settings


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
    s = Settings(label_studio_token="supersecret")
    assert "supersecret" not in repr(s)
