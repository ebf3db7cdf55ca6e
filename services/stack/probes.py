"""Readiness probes and port checks for the embedded stack."""

from __future__ import annotations

import errno
import socket
from urllib.parse import urlparse

import httpx
import redis


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


def free_port(host: str = "127.0.0.1") -> int:
    """A free port not handed out before by this process."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError(f"no free port on {host}")


def free_port_run(n: int, host: str = "127.0.0.1") -> int:
    """A base port with n free ports from it, none handed out before (EDDY_METRICS_PORT)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind((host, 0))
            base = int(s.getsockname()[1])
        run = range(base, base + n)
        fresh = base + n < 65535 and not _HANDED_OUT.intersection(run)
        if fresh and all(_bindable(host, port) for port in run):
            _HANDED_OUT.update(run)
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
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
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
    """Each (address, what, setting) names a port of its own that nothing holds yet."""
    claimed: dict[int, tuple[str, str]] = {}
    for address, what, setting in checks:
        host, port = host_port(address, 0)
        if port in claimed:  # both would pass the bind check; the second server would fail
            other, other_setting = claimed[port]
            raise PortInUse(
                f"port {port} is set for both {other} ({other_setting}) and {what} "
                f"({setting}): give each its own"
            )
        claimed[port] = (what, setting)
        ensure_port_free(host, port, what, setting)


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
