"""Follows the predictions, review and dead-letter topics for the read model, with a plain
consumer outside every group (it commits nothing and moves no worker's offsets)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from services.core.settings import KafkaSettings
from services.core.topics import Topics
from services.ops.offsets import fetch_ends


class TopicTail:
    """``start(backfill)`` begins ``backfill`` records before each partition's end (found
    with a fetch: ListOffsets is wrong on the local broker); ``poll()`` then yields
    (kind, record) for everything that arrived since, kind being prediction, review or
    deadletter."""

    def __init__(self, kafka: KafkaSettings) -> None:
        t = Topics.from_settings(kafka)
        self.kinds = {t.predictions: "prediction", t.review: "review", t.deadletter: "deadletter"}
        self._consumer = KafkaConsumer(
            **kafka.client_config(),
            client_id="eddy-ops-tail",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
            request_timeout_ms=6_000,
        )
        self._started = False
        self._ends: dict[TopicPartition, int] = {}

    def start(self, backfill: int, timeout_s: float = 5.0) -> None:
        c = self._consumer
        parts = [
            TopicPartition(topic, p)
            for topic in self.kinds
            for p in sorted(c.partitions_for_topic(topic) or ())
        ]
        self._ends = fetch_ends(c, dict.fromkeys(parts, 0), timeout_s)
        for tp, end in self._ends.items():
            c.seek(tp, max(0, end - backfill))
        self._started = True

    def caught_up(self) -> bool:
        """Whether the backfill is read: every partition at the end it had at ``start``."""
        return all(self._consumer.position(tp) >= end for tp, end in self._ends.items())

    def poll(self, timeout_ms: int = 200, max_records: int = 20_000) -> Iterator[tuple[str, Any]]:
        for _ts, kind, rec in self.timed(timeout_ms, max_records):
            yield kind, rec

    def timed(
        self, timeout_ms: int = 200, max_records: int = 20_000
    ) -> Iterator[tuple[int, str, Any]]:
        """As ``poll``, each with its Kafka timestamp (ms): a batch comes topic by topic, so a
        reader that shows several kinds orders them by time itself."""
        if not self._started:
            return
        for tp, msgs in self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records).items():
            kind = self.kinds.get(tp.topic)
            for m in msgs:
                try:
                    rec = json.loads(m.value)
                except (TypeError, ValueError):
                    continue  # not this read model's business: the workers dead-letter it
                if kind and isinstance(rec, dict):
                    yield int(m.timestamp), kind, rec

    def close(self) -> None:
        self._consumer.close()
