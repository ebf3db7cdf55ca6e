"""Committed offsets and log ends for consumer lag, read from the broker.

The log end comes from a real fetch's high watermark, not ListOffsets(latest): the local
broker answers the latter with the start of the latest batch + 1, which under-reports lag
(../shared/notes/integration-facts.md). Each read seeks every partition to the end it saw
last time, so a fetch returns only what arrived since, usually nothing."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from services.core.roles import ROLES
from services.core.settings import KafkaSettings
from services.core.topics import Topics
from services.ops.lag import PartitionLag


def consumer_groups(kafka: KafkaSettings, roles: Sequence[str] = ROLES) -> dict[str, list[str]]:
    """Each worker role's consumer group -> the topics it reads (see runtime.context)."""
    t = Topics.from_settings(kafka)
    sources = {
        "normalize": t.channels,
        "classify": [t.interactions],
        "route": [t.predictions],
        "annotate": [t.review],
    }
    return {f"{kafka.app_id}-{role}": sources[role] for role in roles if role in sources}


def fetch_ends(
    consumer: KafkaConsumer, starts: Mapping[TopicPartition, int], timeout_s: float
) -> dict[TopicPartition, int]:
    """Each partition's log end, from the high watermark of a fetch at ``starts`` (the
    records fetched are not needed). The consumer is left assigned to these partitions."""
    parts = list(starts)
    consumer.unsubscribe()  # a fresh assignment forgets the previous high watermarks
    consumer.assign(parts)
    for tp, offset in starts.items():
        consumer.seek(tp, offset)
    ends: dict[TopicPartition, int] = {}
    deadline = time.monotonic() + timeout_s
    while len(ends) < len(parts) and time.monotonic() < deadline:
        consumer.poll(timeout_ms=100, max_records=10_000)
        for tp in parts:
            hw = consumer.highwater(tp)
            if hw is not None and tp not in ends:
                ends[tp] = hw
    missing = [f"{tp.topic}[{tp.partition}]" for tp in parts if tp not in ends]
    if missing:
        raise KafkaError(f"no fetch answered within {timeout_s:.0f}s for {missing}")
    return ends


class OffsetReader:
    """Long-lived (the console keeps one) or one-shot (`eddy status`): call ``read()``."""

    def __init__(self, kafka: KafkaSettings, groups: Mapping[str, Sequence[str]]) -> None:
        self.groups = {g: list(ts) for g, ts in groups.items()}
        common = {**kafka.client_config(), "client_id": "eddy-ops"}
        self._admin = KafkaAdminClient(request_timeout_ms=5_000, **common)
        self._consumer = KafkaConsumer(
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
            max_partition_fetch_bytes=64 * 1024,
            request_timeout_ms=6_000,
            **common,
        )
        self._known: dict[TopicPartition, int] = {}

    def _partitions(self) -> list[TopicPartition]:
        topics = sorted({t for ts in self.groups.values() for t in ts})
        out = []
        for topic in topics:
            for p in sorted(self._consumer.partitions_for_topic(topic) or ()):
                out.append(TopicPartition(topic, p))
        return out

    def committed(self, parts: Sequence[TopicPartition]) -> dict[str, dict[TopicPartition, int]]:
        """Each group's committed offset per partition it reads (absent: none yet)."""
        specs = {g: [tp for tp in parts if tp.topic in ts] for g, ts in self.groups.items()}
        found = self._admin.list_group_offsets({g: tps for g, tps in specs.items() if tps})
        return {
            g: {tp: int(om.offset) for tp, om in found.get(g, {}).items() if om.offset >= 0}
            for g in self.groups
        }

    def log_ends(
        self, parts: Sequence[TopicPartition], timeout_s: float = 3.0
    ) -> dict[TopicPartition, int]:
        ends = fetch_ends(self._consumer, {tp: self._known.get(tp, 0) for tp in parts}, timeout_s)
        self._known.update(ends)
        return ends

    def read(self) -> list[PartitionLag]:
        parts = self._partitions()
        committed = self.committed(parts)
        ends = self.log_ends(parts)
        rows = []
        for group, topics in sorted(self.groups.items()):
            for tp in parts:
                if tp.topic in topics:
                    rows.append(
                        PartitionLag(
                            group, tp.topic, tp.partition, ends[tp], committed[group].get(tp)
                        )
                    )
        return rows

    def close(self) -> None:
        self._consumer.close()
        self._admin.close()
