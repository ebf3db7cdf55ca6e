"""Nothing that listens beyond loopback starts on a missing, public or weak secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.core.settings import Settings, exposed_without_secret, load_settings, public_secrets

STRONG = "x" * 32


def test_loopback_needs_no_secret() -> None:
    s = Settings()
    assert exposed_without_secret(s, "gateway") is None
    assert exposed_without_secret(s, "webhook") is None


def test_the_gateway_beyond_loopback_needs_a_strong_token() -> None:
    for token in (None, "change-me"):
        s = Settings().override(gateway={"host": "0.0.0.0", "token": token})
        why = exposed_without_secret(s, "gateway")
        assert why and "EDDY_GATEWAY_TOKEN" in why and "EDDY_GATEWAY_HOST=0.0.0.0" in why
    s = Settings().override(gateway={"host": "0.0.0.0", "token": STRONG})
    assert exposed_without_secret(s, "gateway") is None


def test_the_webhook_beyond_loopback_refuses_the_repositorys_default() -> None:
    s = Settings().override(label_studio={"webhook_host": "0.0.0.0"})
    why = exposed_without_secret(s, "webhook")
    assert why and "EDDY_WEBHOOK_SECRET" in why
    s = s.override(label_studio={"webhook_secret": STRONG})
    assert exposed_without_secret(s, "webhook") is None


def test_external_lists_every_weak_secret() -> None:
    s = Settings().override(label_studio={"token": "change-me", "password": STRONG})
    assert public_secrets(s) == ["EDDY_GATEWAY_TOKEN", "EDDY_CONSOLE_TOKEN",
                                 "EDDY_LABEL_STUDIO_TOKEN", "EDDY_WEBHOOK_SECRET"]  # fmt: skip
    # The admin's password only creates a Label Studio `eddy up` starts: --external starts none.
    weak = Settings().override(label_studio={"token": STRONG, "password": "x"})
    assert "EDDY_LABEL_STUDIO_PASSWORD" not in public_secrets(weak)


def test_the_console_beyond_loopback_needs_a_strong_token() -> None:
    for token in (None, "short"):
        s = Settings().override(console={"host": "0.0.0.0", "token": token})
        why = exposed_without_secret(s, "console")
        assert why and "EDDY_CONSOLE_TOKEN" in why and "EDDY_CONSOLE_HOST=0.0.0.0" in why
    s = Settings().override(console={"host": "0.0.0.0", "token": STRONG})
    assert exposed_without_secret(s, "console") is None


def test_the_env_example_filled_as_it_says_passes_external_and_exposure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Filled in completely, it was refused: it had no EDDY_CONSOLE_TOKEN line.
    example = Path(__file__).resolve().parents[3] / "deploy/eddy.env.example"
    for line in example.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            monkeypatch.setenv(name, value or STRONG)
    s = load_settings()
    assert public_secrets(s) == []
    for server in ("gateway", "webhook", "ml-backend", "console"):
        assert exposed_without_secret(s, server) is None, server
