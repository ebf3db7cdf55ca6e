"""Raw events of every channel, valid and invalid, through the real broker, Redis and the
three Faust workers: exactly one prediction per valid unique event, every malformed one in
deadletter.v1 with its reason, nothing lost."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from services.core.settings import Settings
from services.core.topics import Topics
from services.demo.airline import airline_tweets
from services.demo.simulator import malform, spread
from services.ingest.channels import ADAPTERS
from services.routing.audit import AuditPolicy
from services.routing.router import Router
from services.routing.strategies import make_strategy
from tests.helpers import TopicReader

pytestmark = pytest.mark.integration


def _orig(record: dict[str, Any], known: Mapping[bytes, Any]) -> bytes:
    """Which of ``known`` a dead letter is about (dead letters carry a hash, not the bytes)."""
    by_hash = {hashlib.sha256(raw).hexdigest(): raw for raw in known}
    return by_hash.get(record["original"]["sha256"], b"")


def _mine(run: str) -> Any:
    return lambda r: str(r.get("event_id", "")).startswith(f"{run}-")


def test_thousand_tweets_three_channels_with_malformed_and_duplicates(
    settings: Settings, workers: dict[str, Any]
) -> None:
    run = f"r{uuid.uuid4().hex[:6]}"
    topics = Topics.from_settings(settings.kafka)
    tweets = [e.text for e in airline_tweets()[2000:3000]]
    events = spread(tweets, seed=11, run=run)
    rng = random.Random(42)
    malformed_idx = set(rng.sample(range(len(events)), 50))  # 5%
    valid = [(ch, ev) for i, (ch, ev) in enumerate(events) if i not in malformed_idx]
    duplicates = rng.sample(valid, 30)

    producer = KafkaProducer(bootstrap_servers=settings.kafka.servers, linger_ms=5)

    bad_payloads: dict[bytes, str] = {}
    for i, (ch, ev) in enumerate(events):
        if i in malformed_idx:
            raw = malform(ch, ev, i)
            bad_payloads[raw] = ch
            producer.send(topics.channel(ch), value=raw)
        else:
            producer.send(
                topics.channel(ch), key=ADAPTERS[ch].key(ev).encode(), value=json.dumps(ev).encode()
            )
    for ch, ev in duplicates:  # the same events again: must not be predicted twice
        producer.send(
            topics.channel(ch), key=ADAPTERS[ch].key(ev).encode(), value=json.dumps(ev).encode()
        )
    # After each duplicate, a new event (a sentinel) with the duplicate's key: it takes the same
    # partition of every topic, behind the duplicate, so once the sentinel's prediction is in,
    # a prediction of the duplicate (had it not been dropped) would be in too.
    sentinels = [
        (ch, {**ev, "event_id": f"{run}s-{ch}-{i}"}) for i, (ch, ev) in enumerate(duplicates)
    ]
    for ch, ev in sentinels:
        producer.send(
            topics.channel(ch), key=ADAPTERS[ch].key(ev).encode(), value=json.dumps(ev).encode()
        )
    producer.flush()
    producer.close()

    valid_ids = {ev["event_id"] for _, ev in valid}
    assert len(valid_ids) == 950

    assert len(bad_payloads) == 50
    readers = [
        TopicReader(settings.kafka, t)
        for t in (topics.predictions, topics.deadletter, topics.review)
    ]
    try:
        _check(
            settings, run, readers, valid_ids, {ev["event_id"] for _, ev in sentinels}, bad_payloads
        )
    finally:
        for reader in readers:
            reader.close()


def _check(
    settings: Settings,
    run: str,
    readers: list[TopicReader],
    valid_ids: set[str],
    sentinel_ids: set[str],
    bad_payloads: dict[bytes, str],
) -> None:
    topics = Topics.from_settings(settings.kafka)
    preds_reader, dl_reader, review_reader = readers
    mine = _mine(run)  # the run's own events; the sentinels' ids start with f"{run}s-"
    everything = valid_ids | sentinel_ids
    # Every valid event and every sentinel predicted: the reader has then also read whatever the
    # duplicates produced (they precede their sentinels in the same partitions).
    all_preds = preds_reader.wait_for(lambda rs: everything <= {r["event_id"] for r in rs}, 240)
    dls = dl_reader.wait_for(
        lambda rs: (
            sum(1 for r in rs if _orig(r, bad_payloads) in bad_payloads) >= len(bad_payloads)
        ),
        60,
    )
    predicted = {r["event_id"] for r in all_preds}
    assert sentinel_ids <= predicted, "every sentinel is predicted (proof the duplicates passed)"
    preds = [r for r in all_preds if mine(r)]

    counts = Counter(r["event_id"] for r in preds)
    assert set(counts) == valid_ids, "every valid unique event is predicted"
    assert max(counts.values()) == 1, "no event is predicted twice (duplicates dropped)"
    for r in preds:
        assert r["model_version"] >= 1
        assert set(r["probs"]) == {"negative", "neutral", "positive"}
        assert r["label"] in r["probs"] and 0 < r["confidence"] <= 1
        assert r["timings"]["batch_size"] >= 1

    mine_dl = [r for r in dls if _orig(r, bad_payloads) in bad_payloads]
    assert len(mine_dl) == len(bad_payloads) == 50
    for r in mine_dl:
        assert r["stage"] == "normalize"
        assert r["reason"] in {"invalid_json", "schema_violation"}
        assert r["errors"] and all(e["path"].startswith("$") for e in r["errors"])
        assert r["source"]["topic"] == topics.channel(bad_payloads[_orig(r, bad_payloads)])
    _check_raw_kept(settings, mine_dl, bad_payloads)

    # Routing: exactly the uncertain predictions and the audit sample, once each.
    router = Router(
        make_strategy(settings.routing.strategy),
        settings.routing.threshold,
        dict(settings.routing.thresholds),
    )
    policy = AuditPolicy(settings.routing.audit_share)  # no floor in the session settings

    def reviewed(r: dict[str, Any]) -> bool:
        return router.route(r, "now", audit=policy.sampled(r["event_id"])) is not None

    expected = {r["event_id"] for r in preds if reviewed(r)}
    audited = {r["event_id"] for r in preds if policy.sampled(r["event_id"])}
    assert audited and audited <= expected
    # Wait for every expected review and for the reviews of the routed sentinels (each follows
    # its duplicate's partition), not for a fixed time.
    routed_sentinels = {
        r["event_id"] for r in all_preds if r["event_id"] in sentinel_ids and reviewed(r)
    }
    wanted_reviews = expected | routed_sentinels
    reviews = review_reader.wait_for(lambda rs: wanted_reviews <= {r["event_id"] for r in rs}, 60)
    assert routed_sentinels <= {r["event_id"] for r in reviews}, "routed sentinels reviewed"
    reviews = [r for r in reviews if mine(r)]
    review_counts = Counter(r["event_id"] for r in reviews)
    assert set(review_counts) == expected
    assert not review_counts or max(review_counts.values()) == 1
    for r in reviews:
        if r["event_id"] in audited:
            assert r["sample"] == "audit"
        else:
            assert r["sample"] == "routed" and r["score"] >= r["threshold"]


def _check_raw_kept(
    settings: Settings, dead_letters: list[dict[str, Any]], bad_payloads: dict[bytes, str]
) -> None:
    """The session opts in to keeping raw bytes: each dead letter's are in deadletter-raw.v1,
    encrypted, and `eddy deadletter-raw` gives them back."""
    assert settings.kafka.deadletter_keep_raw and settings.kafka.deadletter_raw_key
    assert all(r["original"]["raw_kept"] for r in dead_letters)
    wanted = {r["original"]["sha256"] for r in dead_letters}
    topic = Topics.from_settings(settings.kafka).deadletter_raw
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.servers, consumer_timeout_ms=2000)
    parts = [TopicPartition(topic, p) for p in range(settings.kafka.partitions)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    kept = {m.key.decode(): m.value for m in consumer if m.key.decode() in wanted}
    consumer.close()
    assert set(kept) == wanted
    sha, token = next(iter(kept.items()))
    raw = next(b for b in bad_payloads if hashlib.sha256(b).hexdigest() == sha)
    assert raw[:20] not in token, "encrypted at rest"
    out = settings.stack.data_dir / f"raw-{sha[:8]}"
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "deadletter-raw", sha, "--out", str(out)],
        env={**os.environ, **settings.to_env()},
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert out.read_bytes() == raw
    assert out.stat().st_mode & 0o777 == 0o600


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
    or route with its reason; the workers keep running."""
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
        recs = reader.wait_for(lambda rs: sum(_orig(r, wanted) in wanted for r in rs) >= 2, 60)
    finally:
        reader.close()
    got = {_orig(r, wanted): r for r in recs if _orig(r, wanted) in wanted}
    assert {raw: r["stage"] for raw, r in got.items()} == wanted
    assert got[bad_interaction]["reason"] == "schema_violation"
    assert got[bad_prediction]["reason"] == "invalid_json"
    assert all(p.poll() is None for p in workers.values()), "a worker died"


def test_workers_serve_prometheus_metrics(settings: Settings, workers: dict[str, Any]) -> None:
    import httpx

    from services.core.roles import ROLES

    _predict_one(settings, "hello")
    port = settings.metrics.port + ROLES.index("classify")
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert 'eddy_events_total{outcome="ok",stage="classify"}' in body
    assert "eddy_inference_duration_seconds_count" in body
