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
from tests.helpers import deadletter_original as original_of

pytestmark = pytest.mark.integration


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
            # Keyed by an email, as a careless producer might: the dead letter must not be.
            producer.send(topics.channel(ch), key=f"{run}.{i}@example.com".encode(), value=raw)
        else:
            producer.send(
                topics.channel(ch), key=ADAPTERS[ch].key(ev).encode(), value=json.dumps(ev).encode()
            )
    # The same events again: never predicted twice. The first five with other content (a
    # producer reusing ids): dead-lettered as duplicate_conflict, the first copy kept.
    for n, (ch, ev) in enumerate(duplicates):
        again = {**ev, "metadata": {"edited": "yes"}} if n < 5 else ev
        producer.send(
            topics.channel(ch), key=ADAPTERS[ch].key(ev).encode(), value=json.dumps(again).encode()
        )
    conflicts = {ev["event_id"] for _, ev in duplicates[:5]}
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
        sentinel_ids = {ev["event_id"] for _, ev in sentinels}
        _check(settings, run, readers, valid_ids, sentinel_ids, bad_payloads, conflicts)
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
    conflicts: set[str],
) -> None:
    topics = Topics.from_settings(settings.kafka)
    preds_reader, dl_reader, review_reader = readers
    mine = _mine(run)  # the run's own events; the sentinels' ids start with f"{run}s-"
    everything = valid_ids | sentinel_ids
    # Every valid event and every sentinel predicted: the reader has then also read whatever the
    # duplicates produced (they precede their sentinels in the same partitions).
    all_preds = preds_reader.wait_for(lambda rs: everything <= {r["event_id"] for r in rs}, 240)

    def conflicted(rs: list[dict[str, Any]]) -> set[str]:
        return {r["event_id"] for r in rs if r["reason"] == "duplicate_conflict"} & conflicts

    dls = dl_reader.wait_for(
        lambda rs: (
            sum(1 for r in rs if original_of(r, bad_payloads) in bad_payloads) >= len(bad_payloads)
            and conflicted(rs) == conflicts
        ),
        60,
    )
    said = {r["errors"][0]["message"] for r in dls if r["reason"] == "duplicate_conflict"}
    assert any("give each event its own id" in m for m in said), said
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

    mine_dl = [r for r in dls if original_of(r, bad_payloads) in bad_payloads]
    assert len(mine_dl) == len(bad_payloads) == 50
    dl_keys = [k for r, k in zip(dls, dl_reader.keys, strict=True) if r in mine_dl]
    assert all(k and b"@" not in k for k in dl_keys), "no producer key in a dead letter's key"
    assert [k.decode() if k else None for k in dl_keys] == [r["key_sha256"] for r in mine_dl]
    for r in mine_dl:
        assert r["stage"] == "normalize"
        assert r["reason"] in {"invalid_json", "schema_violation"}
        assert r["errors"] and all(e["path"].startswith("$") for e in r["errors"])
        assert r["source"]["topic"] == topics.channel(bad_payloads[original_of(r, bad_payloads)])
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
