"""Reconciliation: poll Label Studio for tasks changed since a checkpoint and bring the label
store up to date (creates, updates, skips and deletions), so no missed webhook loses a label."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.lserrors import LabelStudioRefused
from services.annotation.submit import TaskIndex
from services.annotation.tasks import NotOurTask, parse_annotation
from services.core.records import utc_now_iso
from services.labels.consensus import parse_ts
from services.labels.sink import LabelSink

log = logging.getLogger("eddy.reconcile")
EPOCH = "1970-01-01T00:00:00.000Z"
# Re-read a little before the checkpoint: tasks saved in the same instant as the last poll
# must not slip through. Re-reading is harmless (the store is idempotent).
OVERLAP = timedelta(seconds=5)
PAGE = 500  # tasks per query (Label Studio may cap it: TASK_API_PAGE_SIZE_MAX)
MAX_PAGES = 20
# The next query starts this long before the newest change read, so tasks saved in the same
# instant as it are read again rather than skipped (the store is idempotent).
TIES = timedelta(seconds=1)


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
        self.index = TaskIndex(redis, prefix, project_id)
        self.strict = True  # set by each pass: whether the project keeps digests
        self.labels = labels
        self.seen: set[str] = set()  # annotator ids read in this pass
        self.nameless: set[str] = set()  # ids Label Studio did not list: not asked again
        self.naming = True  # False once Label Studio refused to list its users
        self.backfilled = False

    def checkpoint(self) -> str:
        return str(self.redis.get(self.key) or EPOCH)

    def run_once(self) -> ReconcileResult:
        """Bring the store up to date with every task changed since the checkpoint.

        Each query asks for the changes after the newest one read so far, rather than for the
        next page: while annotators work, a task saved mid-walk moves to the end of this
        order and pushes another back onto a page already read, which a walk over pages
        never sees (a kill test under load lost two labels so)."""
        since = self.checkpoint()
        self.strict = self.index.keeps_digests()
        query_from = _iso(parse_ts(since) - OVERLAP)
        newest = since
        tasks = stored = deleted = read = 0
        page_no = 1
        for _ in range(MAX_PAGES):  # a bounded pass: the next one goes on from the checkpoint
            page, total = self.client.tasks_updated_since(
                self.project_id, query_from, PAGE, page_no
            )
            for task in page:
                updated = str(task.get("updated_at") or since)
                if parse_ts(updated) > parse_ts(newest):
                    newest = updated
                s, d = self._sync(task, updated)
                tasks, stored, deleted = tasks + 1, stored + s, deleted + d
            read += len(page)
            if not page or read >= total:
                break
            after = _iso(parse_ts(newest) - TIES)
            if parse_ts(after) > parse_ts(query_from):
                query_from, page_no, read = after, 1, 0
            else:  # more than a page changed within TIES: only a walk gets past them
                page_no += 1
        else:
            log.warning("reconciliation read %d pages; the next pass goes on", MAX_PAGES)
        if newest != since:
            self.redis.set(self.key, newest)
        self._name_annotators()
        if stored or deleted:
            log.info(
                "reconciled %d task(s): %d label(s) stored, %d deleted", tasks, stored, deleted
            )
        return ReconcileResult(tasks, stored, deleted, newest)

    def _sync(self, task: dict[str, Any], updated: str) -> tuple[int, int]:
        """Store the task's annotations, delete the stored ones it no longer has."""
        stored = deleted = 0
        # A task a user imported, or whose text was changed. Without any digest (an index
        # from an earlier version, or Redis lost), every task with an event id, as before:
        # the poll is how labels are recovered from Label Studio.
        if self.strict and not self.index.vouches(task):
            return 0, 0
        present = set()
        for ann in task.get("annotations") or []:
            try:
                rec = parse_annotation(ann, task, "poll", self.labels)
            except NotOurTask:
                break
            present.add(rec.annotation_id)
            if rec.annotator:
                self.seen.add(rec.annotator)
            stored += int(self.sink.put(rec))
        known = self.sink.store.task_annotation_ids(int(task["id"]))
        for gone in known - present:
            # Only an annotation older than this snapshot of the task can have been
            # deleted; a newer one (a webhook racing this poll) is simply not in it yet.
            stored_ann = self.sink.store.annotation(gone)
            if stored_ann is None or parse_ts(stored_ann["updated_at"]) > parse_ts(updated):
                continue
            deleted += int(self.sink.delete(gone, utc_now_iso(), "poll"))
        return stored, deleted

    def _name_annotators(self) -> None:
        """Record the email of each annotator first seen in this pass, for the console and
        `eddy status` (annotations carry only a user id). Naming is a courtesy: a failure
        here never fails the pass."""
        store = self.sink.store
        if not self.backfilled:  # annotators stored before this process (or this feature)
            self.seen |= set(store.annotator_quality())
            self.backfilled = True
        new, self.seen = self.seen - self.nameless, set()
        if not new or not self.naming:
            return
        new -= set(store.annotator_emails())
        if not new:
            return
        try:
            emails = self.client.user_emails()
        except LabelStudioRefused as exc:
            self.naming = False
            log.warning("annotators stay known by id: %s", exc)
            return
        except Exception as exc:  # unavailable, or an answer the SDK could not parse
            self.seen |= new  # asked again next pass
            log.warning("annotator names not read this pass: %s", type(exc).__name__)
            return
        store.remember_annotators({i: emails[i] for i in new if i in emails})
        self.nameless |= {i for i in new if i not in emails}


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
