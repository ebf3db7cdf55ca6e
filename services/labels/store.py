"""The label store in Redis: every annotation version, and the consensus label per event.

Writes are idempotent by annotation id + updated_at: the webhook and the reconciliation poll
may deliver the same annotation any number of times, in any order; only a newer version
changes anything. Keys (under ``<redis_prefix>labels:``):

- ``ann``             hash  annotation id -> AnnotationRecord JSON (latest version)
- ``task:<id>``       set   annotation ids of one task
- ``examples``        hash  event id -> consensus example (text, label or null, agreement, votes)
- ``first_resolved``  hash  event id -> epoch seconds the event first got a label
- ``used``            set   event ids a training run has consumed
- ``propagated``      hash  event id -> {label, from, annotation}: a near-duplicate that got no
                            task of its own, labelled by its representative's answer because
                            the texts match exactly (shown, never trained on: it adds nothing)
- ``annotator_emails`` hash  Label Studio user id -> email, for ops' tables (annotations
                            carry only the id; the reconciliation poll, which has a Label
                            Studio client, fills it)

An annotation also closes the event's entry in the open queue (``labels.queue``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis import Redis
from redis.client import Pipeline

from services.core.settings import CHANNELS
from services.labels.consensus import annotator_quality, consensus, is_newer
from services.labels.queue import members_key, open_key
from services.labels.records import AnnotationRecord, LabelledExample, exact_fingerprint
from services.labels.traffic import recent_texts


class LabelStore:
    def __init__(self, client: Redis, prefix: str) -> None:
        self.r = client
        self.p = f"{prefix}labels:"
        self.prefix = prefix

    # --- writes ---------------------------------------------------------------------------
    def upsert(self, rec: AnnotationRecord) -> bool:
        """Store one annotation version; returns False when it was already known (or older)."""
        ann_key, task_key = self.p + "ann", f"{self.p}task:{rec.task_id}"
        changed = False

        def txn(pipe: Pipeline) -> None:
            nonlocal changed
            raw = pipe.hget(ann_key, str(rec.annotation_id))
            stored = json.loads(raw) if raw else None
            if stored is not None and (
                stored["status"] == "deleted" or not is_newer(rec.updated_at, stored["updated_at"])
            ):
                changed = False
                return
            others = self._task_votes(pipe, task_key, exclude=rec.annotation_id)
            members = (
                pipe.hgetall(members_key(self.prefix, rec.channel, rec.event_id))
                if (rec.channel and rec.label)
                else {}
            )
            pipe.multi()
            exact = exact_fingerprint(rec.text)
            for member, fingerprint in members.items():  # near-duplicates with the same text
                if fingerprint == exact:
                    pipe.hset(self.p + "propagated", member, json.dumps(
                        {"label": rec.label, "from": rec.event_id, "annotation": rec.annotation_id}
                    ))  # fmt: skip
            pipe.hset(ann_key, str(rec.annotation_id), json.dumps(rec.as_dict()))
            pipe.sadd(task_key, str(rec.annotation_id))
            for channel in [rec.channel] if rec.channel else CHANNELS:  # no longer waiting
                pipe.zrem(open_key(self.prefix, channel), rec.event_id)
            self._write_example(pipe, rec, [*others, (rec.status, rec.label, rec.origin)])
            changed = True

        self.r.transaction(txn, ann_key, task_key)
        return changed

    def delete(self, annotation_id: int, at: str, source: str) -> AnnotationRecord | None:
        """Mark an annotation deleted (Label Studio only sends its id); None if unknown."""
        raw = self.r.hget(self.p + "ann", str(annotation_id))
        if not raw:
            return None
        old = json.loads(raw)
        if old["status"] == "deleted":
            return None
        rec = AnnotationRecord(
            **{**old, "label": None, "status": "deleted", "updated_at": at, "source": source}
        )
        return rec if self.upsert(rec) else None

    def _task_votes(
        self, pipe: Pipeline, task_key: str, exclude: int
    ) -> list[tuple[str, str | None, str | None]]:
        ids = [i for i in pipe.smembers(task_key) if i != str(exclude)]
        if not ids:
            return []
        votes = []
        for raw in pipe.hmget(self.p + "ann", ids):
            if raw:
                a = json.loads(raw)
                votes.append((a["status"], a["label"], a.get("origin")))
        return votes

    def _write_example(
        self,
        pipe: Pipeline,
        rec: AnnotationRecord,
        votes: list[tuple[str, str | None, str | None]],
    ) -> None:
        c = consensus(votes)
        example = {
            "event_id": rec.event_id,
            "task_id": rec.task_id,
            "channel": rec.channel,
            "text": rec.text,
            "label": c.label,
            "agreement": c.agreement,
            "votes": c.votes,
            "annotators": c.annotators,
            "updated_at": rec.updated_at,
        }
        pipe.hset(self.p + "examples", rec.event_id, json.dumps(example))
        if c.resolved:
            pipe.hsetnx(self.p + "first_resolved", rec.event_id, f"{time.time():.3f}")

    # --- reads ----------------------------------------------------------------------------
    def annotation(self, annotation_id: int) -> dict[str, Any] | None:
        raw = self.r.hget(self.p + "ann", str(annotation_id))
        return json.loads(raw) if raw else None

    def task_annotation_ids(self, task_id: int) -> set[int]:
        return {int(i) for i in self.r.smembers(f"{self.p}task:{task_id}")}

    def example(self, event_id: str) -> dict[str, Any] | None:
        raw = self.r.hget(self.p + "examples", event_id)
        return json.loads(raw) if raw else None

    def labelled(self) -> list[LabelledExample]:
        """Every event with a consensus label (ties and skips are left out)."""
        first = self.r.hgetall(self.p + "first_resolved")
        out = []
        for raw in self.r.hvals(self.p + "examples"):
            e = json.loads(raw)
            if e["label"] is None:
                continue
            out.append(
                LabelledExample(
                    e["event_id"],
                    int(e["task_id"]),
                    e["text"],
                    e["label"],
                    float(e["agreement"]),
                    int(e["annotators"]),
                    float(first.get(e["event_id"], time.time())),
                )
            )
        out.sort(key=lambda x: (x.first_resolved, x.event_id))
        return out

    def annotations(self) -> list[dict[str, Any]]:
        """Every stored annotation (the latest version of each)."""
        return [json.loads(v) for v in self.r.hvals(self.p + "ann")]

    def examples(self) -> list[dict[str, Any]]:
        """Every labelled event with its votes and consensus (resolved or not)."""
        return [json.loads(v) for v in self.r.hvals(self.p + "examples")]

    def annotator_quality(self) -> dict[str, dict[str, float]]:
        """labels.consensus.annotator_quality over every stored annotation."""
        return annotator_quality(json.loads(v) for v in self.r.hvals(self.p + "ann"))

    def annotator_emails(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.r.hgetall(self.p + "annotator_emails").items()}

    def remember_annotators(self, emails: dict[str, str]) -> None:
        if emails:
            self.r.hset(self.p + "annotator_emails", mapping={i: e for i, e in emails.items()})

    def propagated(self) -> dict[str, dict[str, Any]]:
        return {str(k): json.loads(v) for k, v in self.r.hgetall(self.p + "propagated").items()}

    def used(self) -> set[str]:
        return {str(e) for e in self.r.smembers(self.p + "used")}

    def mark_used(self, event_ids: list[str]) -> None:
        if event_ids:
            self.r.sadd(self.p + "used", *event_ids)

    def traffic(self, limit: int) -> list[str]:
        """The newest ``limit`` confident unlabelled texts (services.labels.traffic)."""
        return recent_texts(self.r, self.prefix, limit)

    def agreement(self) -> dict[str, float | int]:
        """Over events with more than one vote: how many, mean agreement, unresolved ties."""
        examples = [json.loads(raw) for raw in self.r.hvals(self.p + "examples")]
        multi = [e for e in examples if e["annotators"] > 1]
        resolved = [e for e in multi if e["label"] is not None]
        mean = sum(e["agreement"] for e in resolved) / len(resolved) if resolved else 0.0
        return {
            "events_with_several_votes": len(multi),
            "mean_agreement": round(mean, 4),
            "unresolved_ties": len(multi) - len(resolved),
        }

    def counts(self) -> dict[str, int]:
        return {
            "annotations": int(self.r.hlen(self.p + "ann")),
            "events": int(self.r.hlen(self.p + "examples")),
            "labelled": int(self.r.hlen(self.p + "first_resolved")),
            "used": int(self.r.scard(self.p + "used")),
        }
