"""A wedged worker (alive, heartbeat and all, but consuming nothing) is restarted by `eddy up`
once records have waited EDDY_OPS_STALL_RESTART_S with nothing committed; the events it held
up are then predicted. A hung gateway (alive, not answering) is restarted after three
unanswered health probes. SIGSTOP stands in for Faust's own way of wedging after a broker restart
(faust-streaming#523), which cannot be brought about on purpose."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import httpx

from services.core.settings import Settings
from services.core.topics import Topics
from services.stack import secrets
from tests.helpers import TopicReader, Up, gone, up_settings

STALL_S = 12


def _events(run: str, n: int) -> list[dict[str, str]]:
    return [
        {
            "event_id": f"{run}-{i}",
            "conversation_id": f"c{i}",
            "customer_id": "u1",
            "author_role": "customer",
            "text": f"my bag {i} never arrived",
            "sent_at": "2026-11-01T10:00:00Z",
        }
        for i in range(n)
    ]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _predicted(s: Settings, ids: set[str], timeout_s: float) -> set[str]:
    reader = TopicReader(s.kafka, Topics.from_settings(s.kafka).predictions)
    try:
        recs = reader.wait_for(lambda rs: ids <= {r["event_id"] for r in rs}, timeout_s)
    finally:
        reader.close()
    return ids & {r["event_id"] for r in recs}


def test_a_wedged_worker_is_restarted_and_what_it_held_is_predicted(
    tmp_path: Path, settings: Settings, champion: int
) -> None:
    s = up_settings(tmp_path, settings.stack.models_dir, "wedged").override(
        stack={"with_label_studio": False}, console={"stall_restart_s": STALL_S}
    )
    up = Up(s, tmp_path / "up.log")
    try:
        up.wait_for("Eddy is up", 300)
        token = secrets.read(s.stack.data_dir)["EDDY_GATEWAY_TOKEN"]
        url = f"http://{s.gateway.host}:{s.gateway.port}/v1/channels/chat/events"
        headers = {"Authorization": f"Bearer {token}"}
        first = _events(uuid.uuid4().hex[:6], 5)
        assert httpx.post(url, json=first, headers=headers, timeout=30).status_code == 202
        assert _predicted(s, {e["event_id"] for e in first}, 180) == {e["event_id"] for e in first}
        # Idle with nothing waiting for longer than the span: no worker is restarted.
        time.sleep(STALL_S + 15)
        assert "committed nothing" not in up.output()

        wedged = up.pid_of("worker-classify")
        os.kill(wedged, signal.SIGSTOP)
        held = _events(uuid.uuid4().hex[:6], 10)
        assert httpx.post(url, json=held, headers=headers, timeout=30).status_code == 202
        out = up.wait_for("worker-classify committed nothing", STALL_S + 90)
        said = " ".join(out.split())  # `eddy up` wraps long lines
        assert f"committed nothing for {STALL_S}s with 10 record(s) waiting" in said
        assert "(EDDY_OPS_STALL_RESTART_S); restarting it" in said
        up.wait_for("restarted worker-classify", 30)
        assert gone(wedged)
        ids = {e["event_id"] for e in held}
        assert _predicted(s, ids, 180) == ids

        # A hung HTTP server is no crash either, and has no offsets to stall: with the gateway
        # stopped, nothing but `eddy up`'s probes (3 unanswered, 10 s apart) would notice.
        hung = up.pid_of("gateway")
        os.kill(hung, signal.SIGSTOP)
        out = up.wait_for("restarted gateway", 90)
        assert "gateway did not answer" in out and "(alive but hung); restarting it" in out
        assert gone(hung)
        health = f"http://{s.gateway.host}:{s.gateway.port}/healthz"
        deadline = time.monotonic() + 60  # the new one starts as any restarted child does
        while not _answers(health) and time.monotonic() < deadline:
            time.sleep(0.5)
        again = _events(uuid.uuid4().hex[:6], 2)
        assert httpx.post(url, json=again, headers=headers, timeout=30).status_code == 202
    finally:
        up.proc.send_signal(signal.SIGTERM)
        code = up.proc.wait(120)
    assert code == 0, up.output()[-3000:]
    assert all(gone(p) for p in up.pids()), "a child outlived eddy up"
