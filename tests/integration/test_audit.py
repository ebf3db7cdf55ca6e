"""The audit sample on real servers: the route agent sends the configured share of traffic to
Label Studio whatever the model's confidence; annotators' audit labels reach the label store,
never reach training, and are the gate's holdout. The confident rest of the traffic (never an
audit event) fills the capped pool a rebuild pseudo-labels."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer
from redis import Redis

from services.annotation.client import LabelStudioClient
from services.app.wiring import label_sink, reconciler
from services.core.kafka import ensure_topics
from services.core.records import utc_now_iso
from services.core.settings import Settings
from services.core.topics import Topics
from services.labels.audit import AuditSet
from services.labels.records import AnnotationRecord
from services.labels.store import LabelStore
from services.labels.traffic import POOL_TTL_S, pool_size, traffic_key
from services.ops.heartbeats import workers_alive
from services.registry.store import ModelRegistry
from services.routing.audit import AuditPolicy
from services.training.evaluation import refresh
from services.training.incremental import train_once
from tests.conftest import start_eddy, stop_eddy
from tests.helpers import close_label_studio, copy_models, wait

EVENTS = 120
SHARE = 0.25
FLOOR = 2  # audits per channel and hour whatever the share: the first events of each channel
PSEUDO = 10  # pseudo-labels a rebuild adds; the pool keeps pool_size(PSEUDO) = 40 texts


def _prediction(event_id: str, labels: list[str], n: int) -> dict[str, Any]:
    # Very sure of every answer: only the audit can send these to annotators.
    probs = {lab: (0.98 if i == n % len(labels) else 0.02 / (len(labels) - 1))
             for i, lab in enumerate(labels)}  # fmt: skip
    return {
        "event_id": event_id,
        "channel": ("chat", "crm", "ads")[n % 3],
        "key": f"acct-{n % 7}",
        "text": f"test message number {n}",
        "label": labels[n % len(labels)],
        "probs": probs,
        "confidence": 0.98,
        "model_version": 1,
        "predicted_at": utc_now_iso(),
        "timings": {"batch_size": 1, "inference_ms": 1.0},
    }


def _routed(store: LabelStore, run: str, labels: list[str], numbers: range) -> None:
    """Labels of routed (not audit) events, as the label sink stores them."""
    for n in numbers:
        store.upsert(
            AnnotationRecord(10_000 + n, 10_000 + n, f"{run}-routed-{n}", "chat",
                             f"routed message {n}", labels[n % len(labels)], "submitted", "1",
                             "2026-01-01T00:00:00Z", "poll")
        )  # fmt: skip


def test_audit_share_goes_to_label_studio_never_trains_and_is_the_holdout(
    settings: Settings,
    broker: str,
    redis_server: str,
    label_studio: str,
    champion: int,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    run = uuid.uuid4().hex[:6]
    s = settings.override(
        kafka={"topic_prefix": f"audit{run}.", "app_id": f"eddy-audit-{run}"},
        redis={"prefix": f"audit{run}:"},
        stack={"registry_dir": tmp_path / "models"},
        metrics={"port": 0},
        routing={"threshold": 1.0, "audit_share": SHARE, "audit_floor_per_hour": FLOOR},
        label_studio={"project": f"Eddy audit {run}", "batch_wait_ms": 200},
        trainer={"recipe": "warm", "epochs": 1, "pseudo_labels": PSEUDO},
        gate={"min_holdout": 1},
    )
    copy_models(settings.stack.models_dir, s.stack.models_dir)
    labels = ModelRegistry(s.stack.models_dir).get(champion).labels
    topics = Topics.from_settings(s.kafka)
    ensure_topics(s.kafka, topics.all())
    procs = {role: start_eddy(s, f"audit-{role}", "worker", "--role", role)
             for role in ("route", "annotate")}  # fmt: skip
    redis = Redis.from_url(s.redis.url, decode_responses=True)
    request.addfinalizer(redis.close)
    ls = LabelStudioClient(s.label_studio)
    request.addfinalizer(lambda: close_label_studio(ls))
    try:
        wait("workers", lambda: {"route", "annotate"} <= set(workers_alive(s.redis)))
        ids = [f"{run}-{n}" for n in range(EVENTS)]
        producer = KafkaProducer(bootstrap_servers=s.kafka.servers)
        for n, event_id in enumerate(ids):
            record = _prediction(event_id, labels, n)
            producer.send(topics.predictions, key=record["key"].encode(),
                          value=json.dumps(record).encode())  # fmt: skip
        producer.flush()
        producer.close()
        share = {i for i in ids if AuditPolicy(SHARE).sampled(i)}
        # Binomial(120, 0.25): mean 30, sd 4.7; the run id is random, so allow 4 sd either way.
        assert 0.09 * EVENTS < len(share) < 0.41 * EVENTS

        def route_done() -> bool:
            counts = workers_alive(s.redis).get("route", {}).get("counts") or {}
            return int(counts.get("audit", 0)) + int(counts.get("confident", 0)) >= EVENTS

        wait("route to see every prediction", route_done)
        audit_set = AuditSet(redis, s.redis.prefix)
        floor = audit_set.floor_picks()
        # The floor tops each channel up to FLOOR audits an hour (twice that if the run
        # straddles an hour); its picks are recorded apart from the share's.
        assert not floor & share and 1 <= len(floor) <= 4 * FLOOR * 3, floor
        expected = share | floor
        assert set(audit_set.members()) == expected
        project = wait("the project", lambda: ls.find_project(s.label_studio.project))

        def tasks() -> list[dict[str, Any]]:
            return list(ls.tasks_after(project, 0))

        def imported() -> list[dict[str, Any]] | None:
            counts = workers_alive(s.redis).get("annotate", {}).get("counts") or {}
            done = int(counts.get("tasks_created", 0)) >= len(expected)
            return tasks() if done else None

        got = wait("audit tasks in Label Studio", imported)
        # The share, exactly: the route agent has seen all 120 and the annotate worker has
        # imported what it sent; no confident event became a task.
        assert {t["data"]["event_id"] for t in got} == expected
        for t in got:  # an annotator cannot tell an audit from a routed case
            assert "sample" not in t["data"] and "audit" not in json.dumps(t["data"])
        truth = {i: labels[n % len(labels)] for n, i in enumerate(ids)}
        for t in got:
            ls.annotate(int(t["id"]), truth[t["data"]["event_id"]])
        rec = reconciler(s, redis, label_sink(s, redis, with_feed=False))
        request.addfinalizer(rec.client.close)
        rec.run_once()
    finally:
        for p in procs.values():
            stop_eddy(p)
    store = LabelStore(redis, s.redis.prefix)
    assert {e.event_id for e in store.labelled()} == expected
    # Routed labels arrive for other events; only they may be trained on.
    _routed(store, run, labels, range(30))
    result = train_once(s, force=True)
    assert result.outcome in ("promoted", "rejected"), result.trigger
    assert result.new_labels == 30, "audit labels are not new training labels"
    assert result.holdout["audit"] == len(expected)
    assert result.gate["paired"]["n"] == len(expected) + result.holdout["seed"]
    # Both models' accuracy on each part of the holdout, for the record.
    parts = result.gate["parts"]
    assert parts["audit"]["n"] == len(expected)
    assert parts.get("seed", {"n": 0})["n"] == result.holdout["seed"]
    # The champion's estimate: each channel reads all its audits; all channels together read
    # only the share's picks (the floor's would over-weight a quiet channel).
    estimate = refresh(s, redis)["champion_estimate"]
    assert estimate["all"]["n"] == len(share)
    assert sum(e["n"] for ch, e in estimate.items() if ch != "all") == len(expected)
    meta = ModelRegistry(s.stack.models_dir).get(result.challenger_version or 0).meta
    assert meta["data"]["trained_on"] == 30
    assert not set(meta["data"]["new_event_ids"]) & expected, "an audit label was trained on"
    assert meta["data"]["pseudo"] == 0, "a warm run adds no pseudo-labels"
    # The pool: the newest confident events, capped, never an audit event.
    pool = [json.loads(row) for row in redis.lrange(traffic_key(s.redis.prefix), 0, -1)]
    assert len(pool) == pool_size(PSEUDO) < EVENTS - len(expected)
    assert len({p["event_id"] for p in pool}) == len(pool)
    assert 0 < redis.ttl(traffic_key(s.redis.prefix)) <= POOL_TTL_S
    assert not {p["event_id"] for p in pool} & expected, "an audit event in the pseudo pool"
    assert all(p["text"] == f"test message number {ids.index(p['event_id'])}" for p in pool)
    _routed(store, run, labels, range(30, 40))  # the first run used the 30
    rebuild = s.override(trainer={"recipe": "rebuild", "bootstrap_epochs": 1})
    result = train_once(rebuild, force=True)
    assert result.outcome in ("promoted", "rejected"), result.trigger
    meta = ModelRegistry(s.stack.models_dir).get(result.challenger_version or 0).meta
    assert meta["data"]["pseudo"] == PSEUDO
    human = meta["data"]["trained_on"]  # the seed and the 40 routed labels
    assert human == sum(meta["data"]["train_per_label"].values()) >= 40
    batches = -(-(human + PSEUDO) // rebuild.trainer.batch_size)  # the pseudo-labels trained too
    assert meta["train"]["steps"] == batches * meta["train"]["epochs"]
