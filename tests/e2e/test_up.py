"""`eddy up` as a user runs it: every server ready, events flow, Ctrl-C stops everything,
a second run reuses the data dir; clear errors for a busy port or a missing binary."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from services.core.settings import Settings
from services.core.topics import Topics
from tests.helpers import TopicReader, free_port

pytestmark = pytest.mark.e2e


def _up_settings(tmp: Path, models_dir: Path) -> Settings:
    run = uuid.uuid4().hex[:6]
    return Settings().override(
        stack={"data_dir": tmp / "data", "registry_dir": models_dir, "startup_timeout_s": 240},
        kafka={
            "bootstrap": f"127.0.0.1:{free_port()}",
            "app_id": f"eddy-e2e-{run}",
            "partitions": 2,
            "session_timeout_s": 6.0,
            "heartbeat_s": 2.0,
        },
        redis={"url": f"redis://127.0.0.1:{free_port()}/0"},
        label_studio={"url": f"http://127.0.0.1:{free_port()}", "webhook_port": free_port()},
        gateway={"port": free_port()},
        model={"poll_s": 1.0, "torch_threads": 1},
    )


class Up:
    def __init__(self, s: Settings, log: Path, *args: str) -> None:
        self.log = log
        env = {**os.environ, **s.to_env()}
        with log.open("wb") as out:  # the child keeps its own fd
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "up", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = self.output()
            if text in out:
                return out
            if self.proc.poll() is not None:
                pytest.fail(f"eddy up exited ({self.proc.returncode}):\n{out[-4000:]}")
            time.sleep(0.5)
        pytest.fail(f"no {text!r} after {timeout_s}s:\n{self.output()[-4000:]}")

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(90)

    def pids(self) -> list[int]:
        return [int(p) for p in re.findall(r"\(pid (\d+)\)", self.output())]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0) until its parent reaps it.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def _post(s: Settings, event_id: str) -> None:
    ev = {
        "event_id": event_id,
        "conversation_id": "c1",
        "customer_id": "u1",
        "author_role": "customer",
        "text": "@united lost my bag again, thanks a lot",
        "sent_at": "2026-11-01T10:00:00Z",
    }
    r = httpx.post(
        f"http://{s.gateway.host}:{s.gateway.port}/v1/channels/chat/events", json=ev, timeout=30
    )
    assert r.status_code == 202, r.text


def test_up_serves_stops_cleanly_and_restarts_on_same_data(
    tmp_path: Path, settings: Settings, champion: int
) -> None:
    s = _up_settings(tmp_path, settings.stack.models_dir)
    first = Up(s, tmp_path / "up1.log")
    try:
        out = first.wait_for("Eddy is up", 300)
        for part in (
            "broker",
            "redis",
            "label-studio",
            "topics",
            "webhook receiver",
            "gateway",
            "workers",
        ):
            assert f"[ready] {part}" in out
        run = uuid.uuid4().hex[:6]
        _post(s, f"{run}-a")
        reader = TopicReader(s.kafka, Topics.from_settings(s.kafka).predictions)
        try:
            preds = reader.wait_for(lambda rs: any(r["event_id"] == f"{run}-a" for r in rs), 120)
        finally:
            reader.close()
        assert [r["model_version"] for r in preds if r["event_id"] == f"{run}-a"] == [champion]

        # kill -9 of a worker: eddy up restarts it (it used to stop the whole stack), and an
        # event accepted while it was down is predicted once it is back.
        m = re.search(r"started worker-classify \(pid (\d+)\)", first.output())
        assert m is not None
        os.kill(int(m.group(1)), signal.SIGKILL)
        first.wait_for("worker-classify exited unexpectedly", 30)
        _post(s, f"{run}-k")
        first.wait_for("restarted worker-classify", 30)
        reader = TopicReader(s.kafka, Topics.from_settings(s.kafka).predictions)
        try:
            reader.wait_for(lambda rs: any(r["event_id"] == f"{run}-k" for r in rs), 180)
        finally:
            reader.close()
    finally:
        code = first.interrupt()
    out = first.output()
    assert code == 0, out[-3000:]
    pids = first.pids()
    # broker, redis, label studio, 4 workers (one restarted), webhook receiver, trainer, gateway
    assert len(pids) == 11
    assert all(_gone(p) for p in pids), "a child outlived eddy up"
    for name in (
        "broker",
        "redis",
        "label-studio",
        "worker-classify",
        "worker-annotate",
        "webhook",
        "trainer",
        "gateway",
    ):
        assert f"stopped {name}" in out
    assert (s.stack.data_dir / "redis" / "appendonly.aof").exists() or any(
        (s.stack.data_dir / "redis").glob("appendonlydir/*")
    )

    # Second run on the same data dir: Label Studio skips its first-run migrations, and Redis
    # (AOF) still remembers the event id, so a resend of the same event is not predicted again.
    second = Up(s, tmp_path / "up2.log")
    try:
        out2 = second.wait_for("Eddy is up", 240)
        ready = re.search(r"\[ready\] label-studio in ([\d.]+)s", out2)
        assert ready is not None, out2[-3000:]
        assert float(ready.group(1)) < 45
        _post(s, f"{run}-a")
        _post(s, f"{run}-b")
        reader = TopicReader(s.kafka, Topics.from_settings(s.kafka).predictions)
        try:
            # -a and -b share their key (conversation c1), so they take the same partition of
            # every topic, -b behind -a: once -b's prediction is read, a second prediction of
            # -a would have been read before it.
            preds = reader.wait_for(lambda rs: any(r["event_id"] == f"{run}-b" for r in rs), 120)
        finally:
            reader.close()
        ids = [r["event_id"] for r in preds]
        assert f"{run}-b" in ids and f"{run}-a" not in ids
    finally:
        assert second.interrupt() == 0
    assert all(_gone(p) for p in second.pids())


def test_up_external_runs_only_eddy_processes(
    tmp_path: Path, settings: Settings, broker: str, redis_server: str, champion: int
) -> None:
    """--external: no servers of its own, workers + gateway against existing Kafka/Redis."""
    s = settings.override(
        stack={"data_dir": tmp_path / "ext", "registry_dir": settings.stack.models_dir},
        gateway={"port": free_port(), "token": "ext-token-0123456789"},
        kafka={
            "app_id": f"eddy-ext-{uuid.uuid4().hex[:6]}",
            "topic_prefix": f"ext{uuid.uuid4().hex[:6]}.",
        },
    )
    refused = Up(s.override(gateway={"token": None}), tmp_path / "ext0.log", "--external",
                 "--no-label-studio")  # fmt: skip
    assert refused.proc.wait(60) == 1
    assert "--external needs real secrets; set EDDY_GATEWAY_TOKEN" in refused.output()
    up = Up(s, tmp_path / "ext.log", "--external", "--no-label-studio")
    try:
        out = up.wait_for("Eddy is up", 180)
        assert "started broker" not in out and "started redis" not in out
        assert f"serving model v{champion}" in out
    finally:
        assert up.interrupt() == 0
    assert len(up.pids()) == 4 and all(_gone(p) for p in up.pids())


def test_busy_port_is_a_clear_error(tmp_path: Path, settings: Settings) -> None:
    s = _up_settings(tmp_path, settings.stack.models_dir)
    port = int(s.kafka.bootstrap.rsplit(":", 1)[1])
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        up = Up(s, tmp_path / "up.log", "--no-label-studio")
        code = up.proc.wait(60)
    out = up.output()
    assert code == 1
    assert f"port {port}" in out and "already in use" in out and "EDDY_KAFKA_BOOTSTRAP" in out
    assert "started" not in out  # preflight fails before anything starts


def test_missing_binary_is_a_clear_error(tmp_path: Path, settings: Settings) -> None:
    s = _up_settings(tmp_path, settings.stack.models_dir).override(
        stack={"redis_bin": tmp_path / "no-such-redis"}
    )
    up = Up(s, tmp_path / "up.log", "--no-label-studio")
    assert up.proc.wait(60) == 1
    assert "EDDY_REDIS_BIN" in up.output() and "does not exist" in up.output()
