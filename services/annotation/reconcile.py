"""Reconciliation: poll Label Studio for tasks changed since a checkpoint and bring the label
store up to date (creates, updates, skips and deletions), so no missed webhook loses a label."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.tasks import NotOurTask, parse_annotation
from services.core.records import utc_now_iso
from services.labels.consensus import parse_ts
from services.labels.sink import LabelSink

log = logging.getLogger("eddy.reconcile")
EPOCH = "1970-01-01T00:00:00.000Z"
# Re-read a little before the checkpoint: tasks saved in the same instant as the last poll
# must not slip through. Re-reading is harmless (the store is idempotent).
OVERLAP = timedelta(seconds=5)


@dataclass(frozen=True)
class ReconcileResult:
    tasks: int
    stored: int
    deleted: int
    checkpoint: str


class Reconciler:
    def __init__(
        self,
        client: LabelStudioClient,
        sink: LabelSink,
        redis: Redis,
        prefix: str,
        project_id: int,
        labels: list[str] | None = None,
    ) -> None:
        self.client = client
        self.sink = sink
        self.redis = redis
        self.key = f"{prefix}ls:{project_id}:reconciled_until"
        self.project_id = project_id
        self.labels = labels

    def checkpoint(self) -> str:
        return str(self.redis.get(self.key) or EPOCH)

    def run_once(self) -> ReconcileResult:
        since = self.checkpoint()
        query_from = (parse_ts(since) - OVERLAP).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        newest = since
        tasks = stored = deleted = 0
        for task in self.client.tasks_updated_since(self.project_id, query_from):
            tasks += 1
            updated = str(task.get("updated_at") or since)
            if parse_ts(updated) > parse_ts(newest):
                newest = updated
            present = set()
            for ann in task.get("annotations") or []:
                try:
                    rec = parse_annotation(ann, task, "poll", self.labels)
                except NotOurTask:
                    break
                present.add(rec.annotation_id)
                stored += int(self.sink.put(rec))
            known = self.sink.store.task_annotation_ids(int(task["id"]))
            for gone in known - present:
                # Only an annotation older than this snapshot of the task can have been
                # deleted; a newer one (a webhook racing this poll) is simply not in it yet.
                stored_ann = self.sink.store.annotation(gone)
                if stored_ann is None or parse_ts(stored_ann["updated_at"]) > parse_ts(updated):
                    continue
                deleted += int(self.sink.delete(gone, utc_now_iso(), "poll"))
        if newest != since:
            self.redis.set(self.key, newest)
        if stored or deleted:
            log.info(
                "reconciled %d task(s): %d label(s) stored, %d deleted", tasks, stored, deleted
            )
        return ReconcileResult(tasks, stored, deleted, newest)
