"""kill -9 of every child of `eddy up`, one after another, while events stream in through the
gateway and simulated annotators label the tasks: every accepted event is still predicted and
reaches Label Studio as exactly one task, the label store holds exactly the annotations Label
Studio holds, and `eddy up` stops everything on SIGTERM afterwards.

Topics may repeat a prediction or review after a kill (at-least-once delivery); each repeat
carries the same stable id, and Eddy's sinks (Label Studio tasks here) hold no duplicates.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from services.annotation.client import LabelStudioClient
from services.core import redis_sync
from services.core.settings import Settings
from services.core.topics import Topics
from services.demo.annotators import AnnotatorPool
from services.labels.store import LabelStore
from services.stack import secrets
from tests.helpers import (
    TopicReader,
    Up,
    close_label_studio,
    gone,
    up_settings,
)
from tests.lsdata import migrated_label_studio

# In the order they are killed: each stage of the stream, then the servers under it, with -9.
# The broker last, and with SIGTERM (a rolling restart): Tansu 0.6's S3 engine loses records
# it acknowledged when it is killed -9 while producers write (scripts/broker-crash-probe
# measures it), which Eddy cannot make up for; in production the broker is Apache Kafka with
# replication.
KILLED = (
    "worker-normalize",
    "worker-classify",
    "worker-route",
    "worker-annotate",
    "redis",
    "gateway",
    "s3",
    "label-studio",
    "webhook",
    "trainer",
)
VICTIMS = (*((name, signal.SIGKILL) for name in KILLED), ("broker", signal.SIGTERM))
PER_BATCH = 10


def _settings(tmp: Path, models_dir: Path) -> Settings:
    return up_settings(tmp, models_dir, "kills").override(
        label_studio={"batch_wait_ms": 200, "reconcile_interval_s": 5.0},
        # Every event is routed, so every accepted event must become one task.
        routing={"threshold": 0.0, "audit_floor_per_hour": 0},
        # A worker Faust leaves wedged after the broker's restart is restarted well within
        # the waits below.
        console={"stall_restart_s": 90.0},
    )


def _post(s: Settings, batch: list[dict[str, str]], token: str) -> None:
    """Retry until accepted: the gateway itself is among the victims. A retry of a batch that
    was accepted but whose answer was lost is deduplicated by event id downstream."""
    url = f"http://{s.gateway.host}:{s.gateway.port}/v1/channels/chat/events"
    deadline = time.monotonic() + 120
    while True:
        try:
            r = httpx.post(
                url, json=batch, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            if r.status_code == 202:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the gateway never came back"
        time.sleep(1.0)


# aiokafka's many lines while the broker restarts, which would hide the telling ones.
NOISE = ("node with id", "NodeNotReady", "Coordinator", "Heartbeat", "metadata", "fetch")


def _telling(line: str) -> bool:
    said = "WARN" in line or "ERROR" in line or "imported" in line or "Traceback" in line
    return said and not any(n in line for n in NOISE)


def _where_they_stopped(s: Settings, missing: list[str], logs: Path) -> str:
    """A failure's diagnosis for the CI log: how far the missing events got, and the last
    words of the stages after classify."""
    reader = TopicReader(s.kafka, Topics.from_settings(s.kafka).review)
    try:
        reviewed = {r["event_id"] for r in reader.wait_for(lambda rs: False, 10)}
    finally:
        reader.close()
    lines = [f"{sum(e in reviewed for e in missing)} of them are on the review topic"]
    for name in ("worker-route", "worker-annotate", "broker"):
        path = logs / f"{name}.log"
        text = path.read_text(errors="replace").splitlines() if path.exists() else []
        said = [x for x in text if _telling(x)][-6:]
        lines.append(f"{name}.log ends: " + " | ".join(x[:200] for x in said))
    return "\n".join(lines)


def test_kill_every_child_mid_stream_loses_nothing_and_duplicates_no_task(
    tmp_path: Path, settings: Settings, champion: int, label_studio_template: Path
) -> None:
    s = _settings(tmp_path, settings.stack.models_dir)
    migrated_label_studio(s.stack.data_dir, label_studio_template)
    up = Up(s, tmp_path / "up.log")
    run = uuid.uuid4().hex[:6]
    sent: list[str] = []
    pool: AnnotatorPool | None = None
    client: LabelStudioClient | None = None
    try:
        up.wait_for("Eddy is up", 360)
        token = secrets.read(s.stack.data_dir)["EDDY_GATEWAY_TOKEN"]
        s = secrets.apply(s, secrets.read(s.stack.data_dir))
        client = LabelStudioClient(s.label_studio)
        for n, (victim, how) in enumerate(VICTIMS):
            batch = [
                {
                    "event_id": f"{run}-{n}-{i}",
                    "conversation_id": f"c{i}",
                    "customer_id": f"u{i}",
                    "author_role": "customer",
                    "text": f"my flight {n} {i} was delayed again, what now?",
                    "sent_at": "2026-11-01T10:00:00Z",
                }
                for i in range(PER_BATCH)
            ]
            _post(s, batch, token)
            sent += [e["event_id"] for e in batch]
            if pool is None:
                pool = _annotators(client, s, run)
            pid = up.pid_of(victim)
            signal_sent = time.monotonic()
            os.kill(pid, how)
            up.wait_for(f"{victim} exited unexpectedly", 30)
            assert time.monotonic() - signal_sent < 30
            time.sleep(2.0)

        topics = Topics.from_settings(s.kafka)
        reader = TopicReader(s.kafka, topics.predictions)
        try:
            preds = reader.wait_for(lambda rs: set(sent) <= {r["event_id"] for r in rs}, 420)
        finally:
            reader.close()
        predicted = Counter(r["event_id"] for r in preds if r["event_id"].startswith(run))
        lost = [e for e in sent if e not in predicted]
        assert not lost, f"{len(lost)} of {len(sent)} accepted events never predicted: {lost[:5]}"
        for e in sent:
            ids = {r["prediction_id"] for r in preds if r["event_id"] == e}
            assert len(ids) == 1, f"{e}: a repeat under another id {ids}"

        assert pool is not None
        project = pool.project_id
        deadline = time.monotonic() + 300
        while True:
            tasks = Counter(str(t["data"]["event_id"]) for t in client.tasks_after(project, 0))
            if set(sent) <= set(tasks) or time.monotonic() > deadline:
                break
            time.sleep(3)
        missing = [e for e in sent if e not in tasks]
        assert not missing, (
            f"{len(missing)} routed events never became a task: {missing[:5]}; "
            + _where_they_stopped(s, missing, s.stack.data_dir / "logs")
        )
        dup = {e: c for e, c in tasks.items() if c > 1}
        assert not dup, f"duplicated Label Studio tasks: {dup}"

        # The label store holds exactly what Label Studio holds: every annotation, once.
        deadline = time.monotonic() + 300
        while pool.pending() and time.monotonic() < deadline:
            time.sleep(2)
        assert pool.pending() == 0, "the annotators could not finish"
        # Listed with each task's annotations, in id order (a page by update time could move
        # a task to a page already read), not a request per task.
        listed = list(client.tasks_after(project, 0, with_annotations=True))
        assert len(listed) == sum(tasks.values()), (len(listed), sum(tasks.values()))
        truth = {int(t["id"]): {int(a["id"]) for a in t["annotations"]} for t in listed}
        store = LabelStore(redis_sync.connect(s.redis), s.redis.prefix)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            stored = {tid: store.task_annotation_ids(tid) for tid in truth}
            if stored == truth:
                break
            time.sleep(3)
        assert stored == truth, "label store and Label Studio disagree"
        labelled = sum(1 for e in sent if (ex := store.example(e)) and ex["label"])
        assert labelled == len(sent)
        repeats = sum(c - 1 for c in predicted.values())
        print(
            f"{len(sent)} events, {len(VICTIMS)} kills: 0 lost, {repeats} repeated predictions, "
            f"{len(tasks)} tasks, {sum(map(len, truth.values()))} annotations, all in the store"
        )
        assert "stopping everything" not in up.output()
        # eddy up's own Kafka client (its stall watch) kept quiet through the broker restart.
        assert "kafka.net" not in up.output()
    finally:
        if pool is not None:
            pool.stop()
        if client is not None:
            close_label_studio(client)
        stopping = time.monotonic()
        up.proc.send_signal(signal.SIGTERM)
        code = up.proc.wait(120)
        took = time.monotonic() - stopping
    out = up.output()
    assert code == 0, out[-3000:]
    assert all(gone(p) for p in up.pids()), "a child outlived eddy up"
    # Each child gets 10 s after SIGTERM before a SIGKILL (exit -9, refused below).
    assert took < 60, f"SIGTERM took {took:.0f}s"
    stop_lines = out.split("received SIGTERM", 1)[-1]
    if "(exit -9)" in stop_lines:
        pytest.fail(f"a child ignored SIGTERM and had to be killed:\n{stop_lines[-3000:]}")


def _annotators(client: LabelStudioClient, s: Settings, run: str) -> AnnotatorPool:
    """Two simulated annotators working through the queue while children are killed; a
    quarter of the tasks get both."""
    deadline = time.monotonic() + 120
    while (project := client.find_project(s.label_studio.project)) is None:
        assert time.monotonic() < deadline, "the annotate worker never made its project"
        time.sleep(1)
    labels = client.project_labels(project)

    def gold(event_id: str) -> str | None:
        return labels[sum(map(ord, event_id)) % len(labels)] if event_id.startswith(run) else None

    pool = AnnotatorPool(client, project, gold, labels, size=2, error_rate=0.0, delay_s=0.05,
                         overlap=0.25)  # fmt: skip
    pool.start()
    return pool
