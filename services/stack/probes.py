"""Readiness probes and port checks for the embedded stack."""

from __future__ import annotations

import errno
import random
import socket
from pathlib import Path
from urllib.parse import urlparse

import httpx
import redis

from services.core.settings import Settings


class PortInUse(RuntimeError):
    pass


def host_port(address: str, default_port: int) -> tuple[str, int]:
    """'host:port', 'scheme://host:port/...' -> (host, port)."""
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


# Ports this process has handed out. A port is free again the moment its probe socket
# closes, so without this two picks (say the broker's and a metrics server's) could name the
# same port and one server would answer the other's clients.
_HANDED_OUT: set[int] = set()
_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 20000  # below the usual fixed ports of local servers (Eddy's own start at 18010)


def _ephemeral_start() -> int:
    try:
        return int(_EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _pick_run(n: int, host: str) -> int | None:
    """A base port with n ports from it that are bindable now and not handed out before,
    all below the kernel's ephemeral range: a port inside it can be taken between the pick
    and the server's bind, as the local end of any outgoing connection on the machine (a
    CI run saw a restart refused so: its metrics port had become a client's)."""
    top = _ephemeral_start() - n
    if top - _LOWEST < 1000:  # the range was moved down: fall back to the kernel's pick
        with socket.socket() as s:
            s.bind((host, 0))
            base = int(s.getsockname()[1])
    else:
        base = random.randrange(_LOWEST, top)
    run = range(base, base + n)
    if base + n >= 65535 or _HANDED_OUT.intersection(run):
        return None
    if not all(_bindable(host, port) for port in run):
        return None
    _HANDED_OUT.update(run)
    return base


def free_port(host: str = "127.0.0.1") -> int:
    """A free port not handed out before by this process."""
    return free_port_run(1, host)


def free_port_run(n: int, host: str = "127.0.0.1") -> int:
    """A base port with n free ports from it, none handed out before (EDDY_METRICS_PORT)."""
    for _ in range(200):
        base = _pick_run(n, host)
        if base is not None:
            return base
    raise RuntimeError(f"no run of {n} free ports on {host}")


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def ensure_port_free(host: str, port: int, what: str, setting: str) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # "::" binds every address
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # As the servers themselves bind: sockets of a stopped run waiting in TIME_WAIT do
        # not hold the port (without this, a restart right after a stop failed here).
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} on {host} ({what}) is already in use: stop what "
                    f"holds it (`ss -ltnp 'sport = :{port}'`) or set {setting}"
                ) from None
            raise


def ensure_ports_free(checks: list[tuple[str, str, str]]) -> None:
    """Each (address, what, setting) names a port of its own that nothing holds yet. Every
    taken port is named at once, by setting: a second stack on one machine took six runs to
    learn the six settings to change when they were named one at a time."""
    claimed: dict[int, tuple[str, str]] = {}
    taken: dict[str, list[tuple[int, str, str]]] = {}
    for address, what, setting in checks:
        host, port = host_port(address, 0)
        if port in claimed:  # both would pass the bind check; the second server would fail
            other, other_setting = claimed[port]
            raise PortInUse(
                f"port {port} is set for both {other} ({other_setting}) and {what} "
                f"({setting}): give each its own"
            )
        claimed[port] = (what, setting)
        try:
            ensure_port_free(host, port, what, setting)
        except PortInUse as exc:
            taken.setdefault(setting, []).append((port, what, str(exc)))
    if len(taken) == 1 and len(next(iter(taken.values()))) == 1:
        raise PortInUse(next(iter(taken.values()))[0][2])
    if taken:
        parts = [
            f"{', '.join(str(p) for p, _, _ in ports)} ({', '.join(w for _, w, _ in ports)}): "
            f"set {setting}"
            for setting, ports in taken.items()
        ]
        raise PortInUse(
            f"{sum(len(v) for v in taken.values())} ports are already in use (`ss -ltnp` shows "
            f"what holds them); to run beside it: {'; '.join(parts)}"
        )


def tcp_open(host: str, port: int, timeout: float = 1.0) -> bool:
    with socket.create_connection((host, port), timeout=timeout):
        return True


def redis_ping(url: str, auth: dict[str, str] | None = None) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, **(auth or {}))
    try:
        return bool(client.ping())
    finally:
        client.close()


def http_ok(
    url: str, expect_json: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> bool:
    r = httpx.get(url, timeout=3, headers=headers)
    if r.status_code != 200:
        return False
    if expect_json:
        body = r.json()
        return all(body.get(k) == v for k, v in expect_json.items())
    return True


def health_urls(settings: Settings) -> dict[str, str]:
    """Each HTTP child of `eddy up`: its health URL, waited on at start, probed while it runs."""
    gw, c, ls = settings.gateway, settings.console, settings.label_studio
    console_host = "127.0.0.1" if c.host in ("0.0.0.0", "::", "") else c.host
    urls = {
        "gateway": f"http://{gw.host}:{gw.port}/healthz",
        "console": f"http://{console_host}:{c.port}/healthz",
    }
    if settings.stack.with_label_studio:
        urls["webhook"] = f"http://{ls.webhook_host}:{ls.webhook_port}/healthz"
        urls["ml-backend"] = f"{settings.annotation.ml_backend_target}/health"
    return urls


def dependency_urls(settings: Settings) -> dict[str, str]:
    """The servers `eddy up` runs for Eddy, by child name: what ``answers`` probes while they
    run (no credentials in them: they are printed)."""
    host, port = host_port(settings.redis.url, 6379)
    urls = {"redis": f"redis://{host}:{port}"}
    if settings.stack.with_label_studio:
        urls["label-studio"] = f"{settings.label_studio.url.rstrip('/')}/health"
    return urls


def answers(url: str) -> bool:
    """An HTTP health URL answers 200, or a Redis server answers an inline PING at all ("+PONG",
    or "-NOAUTH" for want of the password: either way it is not hung). A raw PING, not a
    client: redis-py's connection handshake waits on more than the one reply."""
    if not url.startswith("redis://"):
        return http_ok(url)
    with socket.create_connection(host_port(url, 6379), timeout=3) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(64)[:1] in (b"+", b"-")
