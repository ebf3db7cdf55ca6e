"""The Redis label store on a real Redis: idempotency, ordering, consensus, deletions."""

from __future__ import annotations

import uuid

from redis import Redis

from services.core.settings import Settings
from services.labels.records import AnnotationRecord
from services.labels.store import LabelStore


def _rec(
    ann: int, task: int, label: str | None, at: str, status: str = "submitted"
) -> AnnotationRecord:
    return AnnotationRecord(ann, task, f"ev-{task}", "chat", "text", label, status, "1", at, "poll")


def test_idempotent_by_annotation_and_updated_at_with_majority_consensus(
    settings: Settings, redis_server: str
) -> None:
    store = LabelStore(
        Redis.from_url(redis_server, decode_responses=True), f"ls{uuid.uuid4().hex[:6]}:"
    )
    t1 = "2026-01-01T10:00:00.000001Z"
    t2 = "2026-01-01T10:00:05Z"
    assert store.upsert(_rec(1, 10, "negative", t1))
    assert not store.upsert(_rec(1, 10, "negative", t1)), "same version twice is a no-op"
    assert store.upsert(_rec(2, 10, "positive", t1))
    tie = store.example("ev-10")
    assert (
        tie is not None
        and tie["label"] is None
        and tie["votes"]
        == {
            "negative": 1,
            "positive": 1,
        }
    )
    assert store.upsert(_rec(3, 10, "positive", t1))
    ex = store.example("ev-10")
    assert ex is not None and ex["label"] == "positive" and ex["agreement"] == 0.6667
    # An older version arriving late (webhook after poll) changes nothing.
    assert store.upsert(_rec(1, 10, "positive", t2))
    assert not store.upsert(_rec(1, 10, "neutral", t1))
    ann = store.annotation(1)
    assert ann is not None and ann["label"] == "positive"
    # A skip is not a vote; a deletion removes the vote.
    assert store.upsert(_rec(4, 11, None, t1, status="skipped"))
    ex = store.example("ev-11")
    assert ex is not None and ex["label"] is None
    assert store.delete(2, t2, "webhook") is not None
    assert store.delete(2, t2, "webhook") is None, "deleting twice is a no-op"
    ex = store.example("ev-10")
    assert ex is not None and ex["label"] == "positive" and ex["agreement"] == 1.0
    assert store.agreement() == {
        "events_with_several_votes": 1,
        "mean_agreement": 1.0,
        "unresolved_ties": 0,
    }
    labelled = store.labelled()
    assert [e.event_id for e in labelled] == ["ev-10"]
    store.mark_used(["ev-10"])
    assert store.used() == {"ev-10"}
