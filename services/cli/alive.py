"""`eddy alive`: the container image's HEALTHCHECK and the Kubernetes liveness probe, one
command for every role. A worker or the trainer is alive while its pulse on this host's disk
is fresh (renewed every 2 s on a timer of its own, stale after 15 s when it hangs), whether
Redis answers or not; the gateway, webhook, console and ML backend while their health URL answers
on this host."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import typer

from services.cli.app import DataDir, app, settings
from services.core import pulse
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
    urls = [f"http://127.0.0.1:{port}/healthz" for port in ports]
    # Label Studio's ML backend protocol names its health URL /health.
    return [*urls, f"http://127.0.0.1:{s.annotation.ml_backend_port}/health"]


@app.command(short_help="Exit 0 when an Eddy process here is alive (the images' HEALTHCHECK).")
def alive(data_dir: Path | None = DataDir) -> None:
    """Exit 0 when an Eddy process in this container (host) is alive: a fresh pulse in the
    data dir (workers, trainer: renewed every 2 s, even while Redis is down), /healthz
    answering on the gateway, webhook or console port, /health on the ML backend's, or (a data
    dir the process could not write) its heartbeat in Redis. The images' HEALTHCHECK."""
    s = settings(data_dir, log_level="WARNING")
    if pulse.fresh(s.stack.data_dir) or any(_http_ok(url) for url in health_urls(s)):
        return
    if _beating_here(s):
        return
    raise typer.Exit(1)
