"""Consumer lag on the real broker: log ends from a fetch's high watermark (the local broker's
ListOffsets(latest) under-reports them), committed offsets per group, lag = end - committed."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from services.core.kafka import ensure_topics
from services.core.settings import Settings
from services.core.topics import Topics
from services.ops.lag import group_lag
from services.ops.offsets import OffsetReader, consumer_groups

pytestmark = pytest.mark.integration


def test_lag_is_log_end_minus_committed_per_partition(settings: Settings, broker: str) -> None:
    run = uuid.uuid4().hex[:6]
    s = settings.override(kafka={"topic_prefix": f"lag{run}.", "app_id": f"lag-{run}"})
    topics = Topics.from_settings(s.kafka)
    ensure_topics(s.kafka, topics.all())
    chat = topics.channel("chat")
    producer = KafkaProducer(bootstrap_servers=s.kafka.servers, linger_ms=20)
    # Batches of several records: the broker's ListOffsets(latest) would say "start of the
    # last batch + 1" for each partition, well under the real end.
    for i in range(40):
        producer.send(chat, b"{}", key=f"k{i}".encode(), partition=i % 2)
    producer.flush()
    producer.close()

    groups = consumer_groups(s.kafka)
    normalize = f"lag-{run}-normalize"
    assert groups[normalize] == topics.channels
    reader = OffsetReader(s.kafka, groups)
    try:
        rows = [r for r in reader.read() if r.topic == chat]
        assert {r.partition: r.end for r in rows if r.end} == {0: 20, 1: 20}
        assert all(r.committed is None for r in rows)  # no worker has run: all of it is lag
        assert group_lag(reader.read())[normalize] == 40

        # A consumer of the normalize group commits 15 on partition 0.
        committer = KafkaConsumer(
            bootstrap_servers=s.kafka.servers, group_id=normalize, enable_auto_commit=False
        )
        committer.commit({TopicPartition(chat, 0): OffsetAndMetadata(15, "", -1)})
        committer.close()
        by_part = {r.partition: r for r in reader.read() if r.topic == chat}
        assert (by_part[0].committed, by_part[0].lag) == (15, 5)
        assert by_part[1].lag == 20
        assert group_lag(reader.read())[normalize] == 25

        # More records: the reader sees the new ends on its next read.
        producer = KafkaProducer(bootstrap_servers=s.kafka.servers)
        for _ in range(7):
            producer.send(chat, b"{}", partition=1)
        producer.flush()
        producer.close()
        by_part = {r.partition: r for r in reader.read() if r.topic == chat}
        assert (by_part[1].end, by_part[1].lag) == (27, 27)
    finally:
        reader.close()
