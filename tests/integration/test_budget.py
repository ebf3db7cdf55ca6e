"""The labelling budget on real servers: a burst of uncertain predictions is cut to the
channel's hourly budget before it reaches Label Studio; what is sent is the most uncertain of
the burst plus its random share (marked as such), the open queue counts it, and a label
closes the entry."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from kafka import KafkaProducer
from redis import Redis

from services.annotation.client import LabelStudioClient
from services.core.kafka import ensure_topics
from services.core.records import utc_now_iso
from services.core.settings import Settings
from services.core.topics import Topics
from services.labels.queue import ReviewQueue
from services.labels.records import AnnotationRecord
from services.labels.store import LabelStore
from services.ops.heartbeats import workers_alive
from tests.conftest import start_eddy, stop_eddy
from tests.helpers import TopicReader, close_label_studio, wait

BURST = 600
PER_HOUR = 30


def _prediction(event_id: str, n: int) -> dict[str, Any]:
    top = 0.34 + 0.64 * ((n * 7919) % BURST) / BURST  # confidence spread over the burst
    rest = (1 - top) / 2
    return {
        "event_id": event_id,
        "channel": "chat",
        "key": f"acct-{n % 7}",
        "text": f"burst message number {n}",
        "label": "negative",
        "probs": {"negative": top, "neutral": rest, "positive": rest},
        "confidence": top,
        "model_version": 1,
        "predicted_at": utc_now_iso(),
        "timings": {"batch_size": 1, "inference_ms": 1.0},
    }


def test_a_burst_is_cut_to_the_budget_most_uncertain_first(
    settings: Settings,
    broker: str,
    redis_server: str,
    label_studio: str,
    champion: int,
    request: pytest.FixtureRequest,
) -> None:
    run = uuid.uuid4().hex[:6]
    s = settings.override(
        kafka={"topic_prefix": f"budget{run}.", "app_id": f"eddy-budget-{run}"},
        redis={"prefix": f"budget{run}:"},
        metrics={"port": 0},
        routing={
            "strategy": "margin",
            "threshold": 0.0,  # every case is a candidate: only the budget limits
            "audit_share": 0.0,
            "budget_per_hour": PER_HOUR,
            "random_share": 0.2,
            "window": 100,
        },
        label_studio={"project": f"Eddy budget {run}", "batch_wait_ms": 200},
    )
    topics = Topics.from_settings(s.kafka)
    ensure_topics(s.kafka, topics.all())
    procs = {role: start_eddy(s, f"budget-{role}", "worker", "--role", role)
             for role in ("route", "annotate")}  # fmt: skip
    redis = Redis.from_url(s.redis.url, decode_responses=True)
    request.addfinalizer(redis.close)
    ls = LabelStudioClient(s.label_studio)
    request.addfinalizer(lambda: close_label_studio(ls))
    reviews = TopicReader(s.kafka, topics.review)
    request.addfinalizer(reviews.close)
    try:
        wait("workers", lambda: {"route", "annotate"} <= set(workers_alive(s.redis)))
        producer = KafkaProducer(bootstrap_servers=s.kafka.servers, linger_ms=5)
        for n in range(BURST):
            record = _prediction(f"{run}-{n}", n)
            producer.send(topics.predictions, key=record["key"].encode(),
                          value=json.dumps(record).encode())  # fmt: skip
        producer.flush()
        producer.close()

        def seen() -> bool:
            counts = workers_alive(s.redis).get("route", {}).get("counts") or {}
            return sum(int(v) for k, v in counts.items() if k != "duplicate") >= BURST

        wait("route to see the whole burst", seen, 120)
        sent = reviews.wait_for(lambda rs: len(rs) >= 1, 30)
        assert 5 <= len(sent) <= PER_HOUR, f"{len(sent)} tasks for a budget of {PER_HOUR}/h"
        routed = [r for r in sent if r["sample"] == "routed"]
        randoms = [r for r in sent if r["sample"] == "random"]
        assert routed, sent
        # After the window's first 100, a routed case ranks in the burst's top few percent.
        settled = [r for r in routed if int(r["event_id"].rsplit("-", 1)[1]) >= 100]
        assert all(r["score"] >= 0.9 for r in settled), [r["score"] for r in settled]
        queue = ReviewQueue(redis, s.redis.prefix)
        assert {e for e, _ in queue.open_tasks("chat")} == {r["event_id"] for r in sent}
        assert set(queue.random_picks()) == {r["event_id"] for r in randoms}
        project = wait("the project", lambda: ls.find_project(s.label_studio.project))

        def all_tasks() -> list[dict[str, Any]] | None:
            got = list(ls.tasks_after(project, 0))
            return got if len(got) >= len(sent) else None

        tasks = wait("every task in Label Studio", all_tasks, 120)
        assert {t["data"]["event_id"] for t in tasks} == {r["event_id"] for r in sent}
    finally:
        for p in procs.values():
            stop_eddy(p)
    first = sent[0]
    LabelStore(redis, s.redis.prefix).upsert(
        AnnotationRecord(1, 1, first["event_id"], "chat", first["text"], "negative",
                         "submitted", "1", utc_now_iso(), "poll")
    )  # fmt: skip
    assert first["event_id"] not in {e for e, _ in queue.open_tasks("chat")}


def test_near_duplicates_make_one_task_and_share_its_label_only_when_exact(
    settings: Settings,
    broker: str,
    redis_server: str,
    label_studio: str,
    champion: int,
    request: pytest.FixtureRequest,
) -> None:
    run = uuid.uuid4().hex[:6]
    s = settings.override(
        kafka={"topic_prefix": f"near{run}.", "app_id": f"eddy-near-{run}"},
        redis={"prefix": f"near{run}:"},
        metrics={"port": 0},
        routing={"threshold": 0.0, "audit_share": 0.0, "near_duplicates": True},
        label_studio={"project": f"Eddy near {run}", "batch_wait_ms": 200},
    )
    topics = Topics.from_settings(s.kafka)
    ensure_topics(s.kafka, topics.all())
    procs = {role: start_eddy(s, f"near-{role}", "worker", "--role", role)
             for role in ("route", "annotate")}  # fmt: skip
    redis = Redis.from_url(s.redis.url, decode_responses=True)
    request.addfinalizer(redis.close)
    ls = LabelStudioClient(s.label_studio)
    request.addfinalizer(lambda: close_label_studio(ls))
    # Ten complaints, each three times: twice word for word, once with other punctuation,
    # case and handle ("my flight 3 is late!!" x2, "@united MY FLIGHT 3 IS LATE?!").
    texts = {}
    for group in range(10):
        words = f"my {'very ' * group}delayed flight is late"
        texts[f"{run}-{group}-a"] = f"{words}!!"
        texts[f"{run}-{group}-b"] = f"{words}!!"
        texts[f"{run}-{group}-c"] = f"@united {words.upper()}?!"
    try:
        wait("workers", lambda: {"route", "annotate"} <= set(workers_alive(s.redis)))
        producer = KafkaProducer(bootstrap_servers=s.kafka.servers, linger_ms=5)
        for n, (event_id, text) in enumerate(texts.items()):
            record = {**_prediction(event_id, n), "text": text, "key": f"g{n // 3}"}
            producer.send(topics.predictions, key=record["key"].encode(),
                          value=json.dumps(record).encode())  # fmt: skip
        producer.flush()
        producer.close()
        project = wait("the project", lambda: ls.find_project(s.label_studio.project), 120)

        def ten_tasks() -> list[dict[str, Any]] | None:
            counts = workers_alive(s.redis).get("route", {}).get("counts") or {}
            seen = int(counts.get("routed", 0)) + int(counts.get("near_duplicate", 0))
            got = list(ls.tasks_after(project, 0))
            return got if seen >= len(texts) and len(got) >= 10 else None

        tasks = wait("one task per near-duplicate group", ten_tasks, 120)
    finally:
        for p in procs.values():
            stop_eddy(p)
    assert len(tasks) == 10
    represented = {t["data"]["event_id"] for t in tasks}
    assert all(e.endswith("-a") for e in represented), "the first of each group stands for it"
    store = LabelStore(redis, s.redis.prefix)
    for n, t in enumerate(tasks):
        store.upsert(
            AnnotationRecord(n + 1, int(t["id"]), t["data"]["event_id"], "chat",
                             t["data"]["text"], "negative", "submitted", "1", utc_now_iso(),
                             "poll")
        )  # fmt: skip
    propagated = store.propagated()
    # Only the word-for-word copies get the label; the variants stay unlabelled.
    assert set(propagated) == {e for e in texts if e.endswith("-b")}
    assert all(p["label"] == "negative" for p in propagated.values())
