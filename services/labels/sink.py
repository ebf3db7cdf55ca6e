"""Where webhook and reconciliation put annotations: the Redis label store first (the truth
the trainer reads), then a labels.v1 record for anyone else listening (best effort)."""

from __future__ import annotations

import logging
from typing import Protocol

from kafka import KafkaProducer

from services.core.records import dumps
from services.core.settings import KafkaSettings
from services.core.topics import Topics
from services.labels.records import AnnotationRecord
from services.labels.store import LabelStore

log = logging.getLogger("eddy.labels")


class LabelFeed(Protocol):
    def publish(self, rec: AnnotationRecord) -> None: ...


class KafkaLabelFeed:
    """labels.v1: decisions only (ids, label, status), no text."""

    def __init__(self, settings: KafkaSettings) -> None:
        from services.core.kafka import make_producer

        self.topic = Topics.from_settings(settings).labels
        self.producer: KafkaProducer = make_producer(settings)

    def publish(self, rec: AnnotationRecord) -> None:
        try:
            self.producer.send(
                self.topic, key=rec.event_id.encode(), value=dumps(rec.label_event())
            )
        except Exception as exc:  # the store already has the label; the feed is secondary
            log.warning("labels.v1 publish failed for annotation %d: %s", rec.annotation_id, exc)

    def close(self) -> None:
        self.producer.flush(5)
        self.producer.close(5)


class LabelSink:
    def __init__(self, store: LabelStore, feed: LabelFeed | None = None) -> None:
        self.store = store
        self.feed = feed

    def put(self, rec: AnnotationRecord) -> bool:
        changed = self.store.upsert(rec)
        if changed:
            log.info(
                "annotation %d task %d: %s via %s",
                rec.annotation_id,
                rec.task_id,
                rec.status,
                rec.source,
            )
            if self.feed:
                self.feed.publish(rec)
        return changed

    def delete(self, annotation_id: int, at: str, source: str) -> bool:
        rec = self.store.delete(annotation_id, at, source)
        if rec is not None and self.feed:
            self.feed.publish(rec)
        return rec is not None
