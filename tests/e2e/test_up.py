"""`eddy up` as a user runs it: every server ready, events flow, Ctrl-C stops everything,
a second run reuses the data dir; clear errors for a busy port or a missing binary."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from services.core.settings import Settings
from services.core.topics import Topics
from services.ops.heartbeats import workers_alive
from services.stack import secrets
from tests.helpers import TopicReader, Up, free_port, free_port_run, gone, up_settings, wait

pytestmark = pytest.mark.e2e


def _up_settings(tmp: Path, models_dir: Path) -> Settings:
    return up_settings(tmp, models_dir, "e2e")


def _event(event_id: str, conversation: str = "c1") -> dict[str, str]:
    return {
        "event_id": event_id,
        "conversation_id": conversation,
        "customer_id": "u1",
        "author_role": "customer",
        "text": "@united lost my bag again, thanks a lot",
        "sent_at": "2026-11-01T10:00:00Z",
    }


def _post(s: Settings, body: object, token: str | None = "from-data-dir") -> httpx.Response:
    if token == "from-data-dir":  # what `eddy up` generated on its first start
        token = secrets.read(s.stack.data_dir)["EDDY_GATEWAY_TOKEN"]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.post(
        f"http://{s.gateway.host}:{s.gateway.port}/v1/channels/chat/events",
        json=body,
        headers=headers,
        timeout=30,
    )
    if token:
        assert r.status_code == 202, r.text
    return r


def _count(records: list[dict[str, object]], event_id: str) -> int:
    return sum(1 for r in records if r["event_id"] == event_id)


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
            "Label Studio ML backend",
            "ops console",
        ):
            assert f"[ready] {part}" in out
        # Secure by default: generated secrets, private to the owner; no token, no entry.
        assert (s.stack.data_dir / "secrets.env").stat().st_mode & 0o777 == 0o600
        run = uuid.uuid4().hex[:6]
        assert _post(s, _event(f"{run}-x"), token=None).status_code == 401
        _post(s, _event(f"{run}-a"))
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
        _post(s, _event(f"{run}-k"))
        first.wait_for("restarted worker-classify", 30)
        reader = TopicReader(s.kafka, Topics.from_settings(s.kafka).predictions)
        try:
            reader.wait_for(lambda rs: any(r["event_id"] == f"{run}-k" for r in rs), 180)
        finally:
            reader.close()
        # 202 means durable: a burst accepted right before the stack stops (far more than
        # two cores classify in that time) is all predicted after the restart.
        _post(s, [_event(f"{run}-d{i}", f"c{i}") for i in range(150)])
    finally:
        code = first.interrupt()
    out = first.output()
    assert code == 0, out[-3000:]
    pids = first.pids()
    # s3, broker, redis, label studio, 4 workers (one restarted), webhook, ml-backend,
    # trainer, gateway, ops console
    assert len(pids) == 14
    assert all(gone(p) for p in pids), "a child outlived eddy up"
    for name in (
        "s3",
        "broker",
        "redis",
        "label-studio",
        "worker-classify",
        "worker-annotate",
        "webhook",
        "trainer",
        "gateway",
        "console",
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
        _post(s, _event(f"{run}-a"))
        _post(s, _event(f"{run}-b"))
        burst = [f"{run}-d{i}" for i in range(150)]
        reader = TopicReader(s.kafka, Topics.from_settings(s.kafka).predictions)
        try:
            # -a and -b share their key (conversation c1), so they take the same partition of
            # every topic, -b behind -a: once -b's prediction is read, a second prediction of
            # -a would have been read before it. The topics survived the restart, so the
            # first run's predictions are read too.
            preds = reader.wait_for(
                lambda rs: _count(rs, f"{run}-b") >= 1 and all(_count(rs, e) for e in burst),
                240,
            )
        finally:
            reader.close()
        # At least once: a kill -9 can repeat a prediction on the topic, always under the
        # same prediction_id, which is what consumers dedupe by.
        assert len({r["prediction_id"] for r in preds if r["event_id"] == f"{run}-a"}) == 1
        assert _count(preds, f"{run}-b") >= 1
        # Redis (AOF, password from the data dir) still knew -a: normalize dropped the resend.
        redis = secrets.apply(s, secrets.read(s.stack.data_dir)).redis
        wait(
            "normalize to count -a's resend as a duplicate",
            lambda: workers_alive(redis)["normalize"]["counts"].get("duplicate", 0) >= 1 or None,
            30,
        )
        lost = [e for e in burst if not _count(preds, e)]
        assert not lost, f"{len(lost)} of {len(burst)} accepted events lost across the restart"
        assert "stopping everything" not in second.output()
    finally:
        assert second.interrupt() == 0
    assert all(gone(p) for p in second.pids())


def test_up_external_runs_only_eddy_processes(
    tmp_path: Path, settings: Settings, broker: str, redis_server: str, champion: int
) -> None:
    """--external: no servers of its own, workers + gateway against existing Kafka/Redis."""
    s = settings.override(
        stack={"data_dir": tmp_path / "ext", "registry_dir": settings.stack.models_dir},
        gateway={"port": free_port(), "token": "ext-token-0123456789"},
        console={"port": free_port(), "token": "ext-console-0123456789"},
        # The session's workers hold its metrics ports: a stack of its own needs others.
        metrics={"port": free_port_run(9)},
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
        # `eddy status` beside it, not told about --no-label-studio, expects what this stack
        # runs (it listed annotate and trainer as missing and exited 1).
        env = {**os.environ, **s.to_env()}
        env.pop("EDDY_WITH_LABEL_STUDIO", None)
        st = subprocess.run(
            [sys.executable, "-m", "services.cli", "status", "--json"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert st.returncode == 0, st.stdout[-2000:] + st.stderr[-2000:]
        assert json.loads(st.stdout)["missing_roles"] == []
        # A second `eddy up` on the same data dir names the first, not "17 ports in use".
        twin = Up(s, tmp_path / "ext2.log", "--external", "--no-label-studio")
        assert twin.proc.wait(60) == 1
        said = " ".join(twin.output().split())
        assert f"eddy up is already running: on {s.stack.data_dir} (pid {up.proc.pid})" in said
    finally:
        assert up.interrupt() == 0
    # three workers, the gateway and the ops console
    assert len(up.pids()) == 5 and all(gone(p) for p in up.pids())


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
    # ... and before it writes anything: no secrets.env, no server folders, no up.json.
    assert not s.stack.data_dir.exists(), sorted(s.stack.data_dir.rglob("*"))


def test_missing_binary_is_a_clear_error(tmp_path: Path, settings: Settings) -> None:
    s = _up_settings(tmp_path, settings.stack.models_dir).override(
        stack={"redis_bin": tmp_path / "no-such-redis"}
    )
    up = Up(s, tmp_path / "up.log", "--no-label-studio")
    assert up.proc.wait(60) == 1
    assert "EDDY_REDIS_BIN" in up.output() and "does not exist" in up.output()


def test_a_console_exposed_without_a_strong_token_is_refused_before_anything_starts(
    tmp_path: Path, settings: Settings
) -> None:
    # The console used to refuse it itself, once every server and worker had started (35 s),
    # and the stack was then torn down.
    s = _up_settings(tmp_path, settings.stack.models_dir).override(
        console={"host": "0.0.0.0", "token": "short"}
    )
    up = Up(s, tmp_path / "up.log", "--no-label-studio")
    assert up.proc.wait(60) == 1
    out = " ".join(up.output().split())
    assert "EDDY_CONSOLE_HOST=0.0.0.0 serves the console beyond this machine" in out, out
    assert "EDDY_CONSOLE_TOKEN" in out and "started" not in out
