"""`eddy alive` (the images' HEALTHCHECK and Kubernetes' liveness probe) answers from this
container alone: a Redis outage must not restart every worker and the trainer."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.core import pulse


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    # Nothing answers anywhere: Redis on a closed port, every server's port free.
    ports = {
        name: str(_free_port()) for name in ("GATEWAY", "WEBHOOK", "CONSOLE", "ML_BACKEND", "REDIS")
    }
    return {
        "EDDY_DATA_DIR": str(tmp_path),
        "EDDY_REDIS_URL": f"redis://127.0.0.1:{ports.pop('REDIS')}/0",
        **{f"EDDY_{name}_PORT": port for name, port in ports.items()},
    }


def _alive(env: dict[str, str]) -> int:
    return CliRunner().invoke(app, ["alive"], env=env).exit_code


def test_nothing_here_is_not_alive(env: dict[str, str]) -> None:
    assert _alive(env) == 1


def test_a_fresh_pulse_is_alive_while_redis_is_down(env: dict[str, str]) -> None:
    pulse.beat(Path(env["EDDY_DATA_DIR"]))
    assert _alive(env) == 0


def test_a_stale_pulse_is_not_alive(env: dict[str, str]) -> None:
    data_dir = Path(env["EDDY_DATA_DIR"])
    pulse.beat(data_dir)
    old = time.time() - pulse.MAX_AGE_S - 5
    os.utime(pulse.pulse_path(data_dir), (old, old))
    assert _alive(env) == 1


def test_another_hosts_pulse_is_not_this_ones(env: dict[str, str]) -> None:
    path = pulse.pulse_path(Path(env["EDDY_DATA_DIR"]), host="another-pod")
    path.parent.mkdir(parents=True)
    path.touch()
    assert _alive(env) == 1


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture()
def ml_backend(env: dict[str, str]) -> Iterator[None]:
    server = HTTPServer(("127.0.0.1", int(env["EDDY_ML_BACKEND_PORT"])), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield
    server.shutdown()
    server.server_close()


@pytest.mark.usefixtures("ml_backend")
def test_the_ml_backend_answering_its_health_url_is_alive(env: dict[str, str]) -> None:
    # Its container has no pulse and no /healthz: it was always "unhealthy" in compose.
    assert _alive(env) == 0


def test_a_data_dir_that_cannot_be_written_loses_only_the_pulse(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    pulse.beat(blocked)  # no exception: the Redis heartbeat still speaks for the process
    assert not pulse.fresh(blocked)
