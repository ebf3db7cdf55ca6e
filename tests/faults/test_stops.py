"""Every Eddy process stops on SIGTERM within 10 s, whatever a dependency is doing, and loses
nothing: here the annotate worker with a review in hand while Label Studio is down (it used
to hold on to it, retrying, for 10+ minutes; then, stopped, it committed it unsent)."""

from __future__ import annotations

import signal
import time
import uuid

import pytest
from kafka import TopicPartition

from services.core.kafka import make_producer
from services.core.records import dumps
from services.core.settings import Settings
from services.core.topics import Topics
from services.inference.predictions import to_prediction
from services.ops.heartbeats import workers_alive
from services.ops.offsets import OffsetReader, consumer_groups
from services.routing.router import Router
from services.routing.strategies import Margin
from tests.conftest import start_eddy
from tests.helpers import free_port, wait


def test_annotate_stops_on_sigterm_while_label_studio_is_down(
    settings: Settings,
    broker: str,
    redis_server: str,
    champion: int,
    request: pytest.FixtureRequest,
) -> None:
    run = uuid.uuid4().hex[:6]
    s = settings.override(
        kafka={"topic_prefix": f"stop{run}.", "app_id": f"eddy-stop-{run}"},
        redis={"prefix": f"stop{run}:"},
        label_studio={"url": f"http://127.0.0.1:{free_port()}"},  # nothing listens there
    )
    from services.core.kafka import ensure_topics

    topics = Topics.from_settings(s.kafka)
    ensure_topics(s.kafka, topics.all())
    proc = start_eddy(s, f"stop-annotate-{run}", "worker", "--role", "annotate")
    try:
        wait("annotate heartbeat", lambda: "annotate" in workers_alive(s.redis), 120)
        pred = to_prediction(
            {"event_id": f"{run}-1", "channel": "chat", "key": "k", "text": "where is my bag"},
            [0.4, 0.35, 0.25], ["negative", "neutral", "positive"], champion,
            now="2026-11-30T00:00:00Z", batch_size=1, inference_ms=1.0, device="cpu",
            precision="fp32",
        )  # fmt: skip
        review = Router(Margin(), 0.0, {}).route(pred, "2026-11-30T00:00:01Z")
        assert review is not None
        producer = make_producer(s.kafka)
        reader = OffsetReader(s.kafka, consumer_groups(s.kafka, ["annotate"]))
        request.addfinalizer(reader.close)
        group = f"{s.kafka.app_id}-annotate"
        # First a record it can finish (not JSON: a dead letter, no Label Studio call): the
        # batch it ends is committed as before.
        bad = producer.send(topics.review, key=b"k", value=b"{").get(timeout=30)
        tp = TopicPartition(topics.review, bad.partition)
        wait("the finished batch committed",
             lambda: reader.committed([tp])[group].get(tp) == bad.offset + 1, 60)  # fmt: skip
        sent_at = producer.send(topics.review, key=b"k", value=dumps(review)).get(timeout=30)
        producer.close()
        assert sent_at.partition == bad.partition
        log = s.stack.logs_dir / f"stop-annotate-{run}.log"
        wait("a retry", lambda: "Label Studio unavailable" in log.read_text(), 60)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        took = time.monotonic() - sent
        assert took < 10, f"annotate took {took:.1f}s to stop on SIGTERM"
        # The review it held is not committed: the next start reads it again (Faust's
        # take_events acked a batch left unfinished, and the stop committed it: lost).
        committed = reader.committed([tp])[group].get(tp)
        assert committed == sent_at.offset, (committed, sent_at.offset)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            pytest.fail("annotate ignored SIGTERM for 30 s")
