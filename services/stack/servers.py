"""How each embedded server is started and probed."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from services.core.settings import Settings
from services.stack import binaries
from services.stack.probes import host_port, http_ok, redis_ping, tcp_open
from services.stack.process import Child, StackError
from services.stack.secrets import write_private
from services.stack.ssrf import banned_subnets


@dataclass
class Server:
    child: Child
    probe: Callable[[], bool]
    address: str


def _addresses(url: str) -> set[str]:
    """The addresses ``url``'s host resolves to (none when it does not resolve here)."""
    host, port = host_port(url, 80)
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)}
    except OSError:
        return set()


def _clean_env(drop: tuple[str, ...] = ()) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in drop}


def addresses(settings: Settings) -> list[tuple[str, str, str]]:
    """Where each server `eddy up` starts will listen, as (address, name, setting), from the
    settings alone: checked before anything is written to the data dir."""
    planned = [
        (settings.kafka.bootstrap.split(",")[0], 9092, "broker", "EDDY_KAFKA_BOOTSTRAP"),
        (settings.redis.url, 6379, "redis", "EDDY_REDIS_URL"),
    ]
    if settings.stack.durable_broker:
        planned.insert(0, (settings.stack.s3_endpoint, 19500, "s3", "EDDY_S3_ENDPOINT"))
    if settings.stack.with_label_studio:
        planned.append((settings.label_studio.url, 8080, "label-studio", "EDDY_LABEL_STUDIO_URL"))
    out = []
    for where, default, name, setting in planned:
        host, port = host_port(where, default)
        out.append((f"{host}:{port}", name, setting))
    return out


def planned(settings: Settings) -> list[Server]:
    """The servers `eddy up` starts, the broker's S3 storage first (binaries resolved, data
    folders made)."""
    out = [s3(settings)] if settings.stack.durable_broker else []
    out += [broker(settings), redis(settings)]
    return out + ([label_studio(settings)] if settings.stack.with_label_studio else [])


def broker(settings: Settings) -> Server:
    if settings.kafka.security_protocol != "PLAINTEXT":
        # Tansu 0.6's TLS listener and SASL logins do not work: a broker of your own does.
        raise StackError(
            f"the embedded broker speaks PLAINTEXT only; EDDY_KAFKA_SECURITY_PROTOCOL="
            f"{settings.kafka.security_protocol} is for your own brokers (`eddy up --external`)"
        )
    host, port = host_port(settings.kafka.bootstrap.split(",")[0], 9092)
    url = f"tcp://{host}:{port}"
    argv = [
        str(binaries.tansu(settings.stack.broker_bin)),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        settings.stack.broker_storage,
    ]
    env = _clean_env()
    if settings.stack.durable_broker:
        env.update(s3_env(settings))
    child = Child("broker", argv, settings.stack.logs_dir / "broker.log", env=env)
    return Server(child, lambda: tcp_open(host, port), f"{host}:{port}")


# s3rver answers unsigned reads (of the raw events): `eddy up` runs it on 127.0.0.2, an
# address the Label Studio it starts may not fetch from (services.stack.ssrf).
S3RVER_KEY = "S3RVER"


def s3_env(settings: Settings) -> dict[str, str]:
    """How Tansu reaches its S3 storage (object_store's AWS_* variables). Keys set in the
    environment win, for a real S3 service."""
    return {
        "AWS_ENDPOINT": settings.stack.s3_endpoint,
        "AWS_ALLOW_HTTP": "true" if settings.stack.s3_endpoint.startswith("http:") else "false",
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", S3RVER_KEY),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", S3RVER_KEY),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    }


def s3(settings: Settings) -> Server:
    """A local S3 server for the broker's topic data (durable across restarts)."""
    host, port = host_port(settings.stack.s3_endpoint, 19500)
    data = (settings.stack.data_dir / "s3").resolve()
    data.mkdir(parents=True, exist_ok=True)
    bucket = urlparse(settings.stack.broker_storage).hostname or "tansu"
    argv = [
        str(binaries.s3rver(settings.stack.s3_bin)),
        "-d",
        str(data),
        "-a",
        host,
        "-p",
        str(port),
        "--silent",
        "--configure-bucket",
        bucket,
    ]
    child = Child("s3", argv, settings.stack.logs_dir / "s3.log", env=_clean_env())
    return Server(child, lambda: tcp_open(host, port), f"{host}:{port}")


def redis(settings: Settings) -> Server:
    host, port = host_port(settings.redis.url, 6379)
    data = (settings.stack.data_dir / "redis").resolve()
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        str(binaries.redis_server(settings.stack.redis_bin)),
        "--bind",
        host,
        "--port",
        str(port),
        "--dir",
        str(data),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--protected-mode",
        "yes",
        "--daemonize",
        "no",
    ]
    if settings.redis.password:
        # From a 0600 config file, never argv: /proc/PID/cmdline is world-readable.
        argv.insert(1, str(redis_config(data, settings.redis.password.get_secret_value())))
    child = Child("redis", argv, settings.stack.logs_dir / "redis.log", env=_clean_env())
    auth = settings.redis.auth
    return Server(child, lambda: redis_ping(settings.redis.url, auth), f"{host}:{port}")


def redis_config(data: Path, password: str) -> Path:
    path = data / "redis.conf"
    write_private(path, f'requirepass "{password}"\n')
    return path


def label_studio_env(data: Path, *, own: bool = True) -> dict[str, str]:
    """The environment of a Label Studio command on DATA: offline, and blind to the unprefixed
    USERNAME / PASSWORD / PORT / HOST it also reads. ``own=False`` drops the caller's
    LABEL_STUDIO_* settings too (a command that must create no user)."""
    env = _clean_env(("USERNAME", "PASSWORD", "PORT", "HOST", "DJANGO_DB"))
    if not own:
        env = {k: v for k, v in env.items() if "LABEL_STUDIO" not in k}
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data),
            # No outbound calls: this runs offline and must not phone home.
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
        }
    )
    return env


def label_studio(settings: Settings) -> Server:
    host, port = host_port(settings.label_studio.url, 8080)
    data = (settings.stack.data_dir / "label-studio").resolve()
    data.mkdir(parents=True, exist_ok=True)
    env = label_studio_env(data)
    env.update(
        {
            "LABEL_STUDIO_USERNAME": settings.label_studio.username,
            "LABEL_STUDIO_PASSWORD": settings.label_studio.password.get_secret_value(),
            "LABEL_STUDIO_USER_TOKEN": settings.label_studio.token.get_secret_value(),
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            # Webhooks go to Eddy on loopback, which the default SSRF protection blocks; its
            # own list less the webhook's address keeps the rest (the S3 store) out of reach.
            "SSRF_PROTECTION_ENABLED": "true",
            "USE_DEFAULT_BANNED_SUBNETS": "false",
            "USER_ADDITIONAL_BANNED_SUBNETS": ",".join(
                banned_subnets(_addresses(settings.label_studio.webhook_target))
            ),
            # Eddy's ML backend is on loopback too; Label Studio refuses such backend URLs
            # unless told (only here: in compose and Kubernetes it has a service name).
            "ML_BLOCK_LOCAL_IP": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    argv = [
        str(binaries.label_studio(settings.stack.label_studio_bin)),
        "start",
        "--data-dir",
        str(data),
        "--internal-host",
        host,
        "--port",
        str(port),
        "--host",
        settings.label_studio.url,
        "--no-browser",
    ]
    child = Child("label-studio", argv, settings.stack.logs_dir / "label-studio.log", env=env)
    token = settings.label_studio.token.get_secret_value()

    def probe() -> bool:
        base = settings.label_studio.url.rstrip("/")
        return http_ok(f"{base}/health", {"status": "UP"}) and http_ok(
            f"{base}/api/current-user/whoami", headers={"Authorization": f"Token {token}"}
        )

    return Server(child, probe, settings.label_studio.url)


def eddy_child(name: str, args: list[str], settings: Settings, env: dict[str, str]) -> Child:
    """Another `eddy` sub-command in its own process (workers, gateway)."""
    argv = [*eddy_command(), *args]
    return Child(name, argv, settings.stack.logs_dir / f"{name}.log", env=env, cwd=Path.cwd())


def eddy_command() -> list[str]:
    """How to run `eddy`: its console script beside the interpreter, so `ps` and `pgrep -f
    eddy` find every child (`python3 -m services.cli worker ...` had no "eddy" in it);
    `python -m services.cli` where the package is not installed with its script."""
    script = Path(sys.executable).parent / "eddy"
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "services.cli"]
