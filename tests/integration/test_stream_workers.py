"""The stream workers' own behaviour on the real broker and Redis: redaction before the
model sees a text, each conversation's turns kept in order, poisoned records on internal
topics dead-lettered without killing a worker, and Prometheus metrics on every worker."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from kafka import KafkaProducer

from services.core.settings import Settings
from services.core.topics import Topics
from tests.helpers import TopicReader
from tests.helpers import deadletter_original as original_of

pytestmark = pytest.mark.integration


def _predict_one(settings: Settings, text: str) -> dict[str, Any]:
    """Send one chat event through the workers; return its prediction."""
    from services.ingest.producer import EventProducer

    event = {
        "event_id": f"one{uuid.uuid4().hex[:6]}-1",
        "conversation_id": "c1",
        "customer_id": "u1",
        "author_role": "customer",
        "sent_at": "2026-11-01T10:00:00Z",
        "text": text,
    }
    with EventProducer(settings.kafka) as p:
        p.send("chat", event)
    reader = TopicReader(settings.kafka, Topics.from_settings(settings.kafka).predictions)
    try:
        recs = reader.wait_for(lambda rs: any(r["event_id"] == event["event_id"] for r in rs), 60)
    finally:
        reader.close()
    (pred,) = [r for r in recs if r["event_id"] == event["event_id"]]
    return pred


def test_redaction_happens_before_prediction(settings: Settings, workers: dict[str, Any]) -> None:
    pred = _predict_one(
        settings, "my card 4111 1111 1111 1111 was charged twice, mail jane@example.com"
    )
    assert "4111" not in pred["text"] and "jane" not in pred["text"]
    assert "[CARD]" in pred["text"] and "[EMAIL]" in pred["text"]


def test_normalize_keeps_each_conversation_in_order(
    settings: Settings, workers: dict[str, Any]
) -> None:
    """Normalize writes a batch's turns in one pipeline: each conversation's turns land in
    its thread in the order they were sent, redacted, and a duplicate adds none."""
    from redis import Redis

    from services.ingest.producer import EventProducer
    from services.labels.threads import thread_key

    run = uuid.uuid4().hex[:6]
    convs = [f"conv{run}a", f"conv{run}b"]
    events = [
        {
            "event_id": f"th{run}-{i}",
            "conversation_id": convs[i % 2],
            "customer_id": "u1",
            "author_role": "customer",
            "sent_at": "2026-11-01T10:00:00Z",
            "text": f"turn {i} call me on +44 20 7946 0{i:03d}",
        }
        for i in range(8)
    ]
    with EventProducer(settings.kafka) as p:
        for ev in [*events, events[3]]:  # the last one again: a duplicate
            p.send("chat", ev)
    reader = TopicReader(settings.kafka, Topics.from_settings(settings.kafka).predictions)
    try:
        ids = {e["event_id"] for e in events}
        reader.wait_for(lambda rs: ids <= {r["event_id"] for r in rs}, 60)
    finally:
        reader.close()
    client = Redis.from_url(settings.redis.url, decode_responses=True)
    try:
        for n, conv in enumerate(convs):
            turns = [
                json.loads(t)
                for t in client.lrange(thread_key(settings.redis.prefix, "chat", conv), 0, -1)
            ]
            assert [t["event_id"] for t in turns] == [e["event_id"] for e in events[n::2]]
            assert all("7946" not in t["text"] for t in turns)
    finally:
        client.close()


def test_bad_records_on_internal_topics_are_dead_lettered_not_fatal(
    settings: Settings, workers: dict[str, Any]
) -> None:
    """A poisoned record on interactions.v1 or predictions.v1 is dead-lettered by classify
    or route with its reason (and its event id, where one can be read); the workers keep
    running."""
    topics = Topics.from_settings(settings.kafka)
    tag = uuid.uuid4().hex[:8].encode()
    producer = KafkaProducer(bootstrap_servers=settings.kafka.servers)
    bad_interaction = b'{"event_id": "only-an-id-' + tag + b'"}'
    bad_prediction = b"not json " + tag
    producer.send(topics.interactions, value=bad_interaction)
    producer.send(topics.predictions, value=bad_prediction)
    producer.flush()
    producer.close()
    reader = TopicReader(settings.kafka, topics.deadletter)
    try:
        wanted = {bad_interaction: "classify", bad_prediction: "route"}
        recs = reader.wait_for(
            lambda rs: sum(original_of(r, wanted) in wanted for r in rs) >= 2, 60
        )
    finally:
        reader.close()
    got = {original_of(r, wanted): r for r in recs if original_of(r, wanted) in wanted}
    assert {raw: r["stage"] for raw, r in got.items()} == wanted
    assert got[bad_interaction]["reason"] == "schema_violation"
    assert got[bad_prediction]["reason"] == "invalid_json"
    # A later stage's dead letter carries the event id too, when the record holds one.
    assert got[bad_interaction]["event_id"] == "only-an-id-" + tag.decode()
    assert got[bad_prediction]["event_id"] is None
    assert all(p.poll() is None for p in workers.values()), "a worker died"


def test_workers_serve_prometheus_metrics(settings: Settings, workers: dict[str, Any]) -> None:
    import httpx

    from services.core.roles import ROLES

    _predict_one(settings, "hello")
    port = settings.metrics.port + ROLES.index("classify")
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert 'eddy_events_total{outcome="ok",stage="classify"}' in body
    assert "eddy_inference_duration_seconds_count" in body
