"""`eddy alive`: the container image's HEALTHCHECK, one command for every role. A worker or the
trainer is alive while its heartbeat from this host is in Redis (its 15 s TTL lapses when it
hangs); the gateway, webhook and console while their /healthz answers on this host."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import typer

from services.cli.app import DataDir, app, settings
from services.core.settings import Settings


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def _beating_here(s: Settings) -> bool:
    from services.ops.heartbeats import replicas

    try:
        beats = replicas(s.redis)
    except Exception:  # Redis down: say "not alive" rather than a traceback
        return False
    return any(b.get("host") == socket.gethostname() for b in beats)


def health_urls(s: Settings) -> list[str]:
    # Loopback, whatever address a server binds: 0.0.0.0 answers there too.
    ports = (s.gateway.port, s.label_studio.webhook_port, s.console.port)
    return [f"http://127.0.0.1:{port}/healthz" for port in ports]


@app.command(short_help="Exit 0 when an Eddy process here is alive (the images' HEALTHCHECK).")
def alive(data_dir: Path | None = DataDir) -> None:
    """Exit 0 when an Eddy process in this container (host) is alive: a heartbeat in Redis
    from this host (workers, trainer) or /healthz answering on the gateway, webhook or console
    port. The images' HEALTHCHECK."""
    s = settings(data_dir, log_level="WARNING")
    if any(_http_ok(url) for url in health_urls(s)) or _beating_here(s):
        return
    raise typer.Exit(1)
