"""Which secrets are missing, public or weak: fine on a laptop's 127.0.0.1, not for a server
someone else can reach. `eddy up --external` and every process that listens beyond loopback
(the gateway and webhook in compose or Kubernetes) refuse to start on them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from services.core.settings.infra import GatewaySettings, LabelStudioSettings

if TYPE_CHECKING:
    from services.core.settings import Settings

MIN_SECRET_CHARS = 16  # "change-me" and friends from example files are shorter
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _weak(value: SecretStr | None, default: SecretStr | None) -> bool:
    if value is None:
        return True
    v = value.get_secret_value()
    return len(v) < MIN_SECRET_CHARS or (default is not None and v == default.get_secret_value())


def _default(cls: type[GatewaySettings | LabelStudioSettings], field: str) -> SecretStr | None:
    default = cls.model_fields[field].default
    return default if isinstance(default, SecretStr) else None


def public_secrets(settings: Settings) -> list[str]:
    """The secret settings that are missing, still the public default shipped in this
    repository, or shorter than 16 characters."""
    out = []
    if _weak(settings.gateway.token, None):
        out.append("EDDY_GATEWAY_TOKEN")
    if _weak(settings.console.token, None):
        out.append("EDDY_CONSOLE_TOKEN")
    if settings.kafka.deadletter_keep_raw and settings.kafka.deadletter_raw_key is None:
        out.append("EDDY_DEADLETTER_RAW_KEY")
    if settings.stack.with_label_studio:
        # Not the admin's password: only a Label Studio that `eddy up` starts is created with
        # it, and --external starts none (a refusal demanded a secret nothing would read).
        for field, name in (
            ("token", "EDDY_LABEL_STUDIO_TOKEN"),
            ("webhook_secret", "EDDY_WEBHOOK_SECRET"),
        ):
            value = getattr(settings.label_studio, field)
            if _weak(value, _default(LabelStudioSettings, field)):
                out.append(name)
    return out


def listen_address(settings: Settings, server: str) -> tuple[str, int, str]:
    """(host, port, the port's variable) that ``server`` ("gateway", "webhook", "ml-backend"
    or "console") listens on."""
    if server == "gateway":
        return settings.gateway.host, settings.gateway.port, "EDDY_GATEWAY_PORT"
    if server == "console":
        return settings.console.host, settings.console.port, "EDDY_CONSOLE_PORT"
    if server == "ml-backend":
        a = settings.annotation
        return a.ml_backend_host, a.ml_backend_port, "EDDY_ML_BACKEND_PORT"
    ls = settings.label_studio
    return ls.webhook_host, ls.webhook_port, "EDDY_WEBHOOK_PORT"


def exposed_without_secret(settings: Settings, server: str) -> str | None:
    """Why ``server`` ("gateway", "webhook", "ml-backend" or "console") must not start, or
    None: it listens beyond loopback and the secret that guards it is missing, public or
    weak."""
    if server == "gateway":
        host, setting = settings.gateway.host, "EDDY_GATEWAY_HOST"
        weak, secret = _weak(settings.gateway.token, None), "EDDY_GATEWAY_TOKEN"
    elif server == "console":
        host, setting = settings.console.host, "EDDY_CONSOLE_HOST"
        weak, secret = _weak(settings.console.token, None), "EDDY_CONSOLE_TOKEN"
    elif server == "ml-backend":
        host, setting = settings.annotation.ml_backend_host, "EDDY_ML_BACKEND_HOST"
        weak = _weak(settings.annotation.ml_backend_password, None)
        secret = "EDDY_ML_BACKEND_PASSWORD"
    else:
        host, setting = settings.label_studio.webhook_host, "EDDY_WEBHOOK_HOST"
        weak = _weak(
            settings.label_studio.webhook_secret, _default(LabelStudioSettings, "webhook_secret")
        )
        secret = "EDDY_WEBHOOK_SECRET"
    if host in LOOPBACK or not weak:
        return None
    return (
        f"{setting}={host} serves the {server} beyond this machine, and {secret} is missing, "
        f"the public default or under {MIN_SECRET_CHARS} characters; set it to a strong secret"
    )
