"""review.v1 -> Label Studio tasks, exactly once per event id (blocking; run in a thread).

Label Studio has no idempotency key, so Eddy keeps ``event id -> task id`` in Redis and, before
each import, indexes any task newer than the last one it knows. A crash or a timeout between
Label Studio committing an import and Eddy recording it therefore never creates a duplicate:
the retry finds those tasks first.

Label Studio's users can import tasks into Eddy's project too, and post webhooks (its API shows
the secret). So before each import Eddy records a digest of every task's text by event id: a
task, or a label's text, is Eddy's only when it matches (``TaskIndex.vouches``); the label
store keeps only text Eddy sent, which is redacted. A project with no digest at all (its index
written by an earlier version, or Redis lost and the labels to be recovered from Label Studio)
is read as before: catch-up indexes every task with an event id, the poll stores its labels.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.tasks import task_for_review
from services.labels.threads import NO_CONTEXT

log = logging.getLogger("eddy.annotation.submit")


@dataclass(frozen=True)
class SubmitResult:
    created: int
    already: int


def scoped(channel: str, event_id: str) -> str:
    """The index key: channel and event id, as routing dedupes (event ids are unique per
    channel only)."""
    return f"{channel}:{event_id}"


def digest(text: str) -> str:
    # surrogatepass: a task a user imported may hold a lone surrogate ("\ud800"), which a
    # plain encode raises on, and catch-up digests every task it lists.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class TaskIndex:
    """Redis: channel:event id -> task id, task id -> channel:event id, and the newest task id
    seen. Only tasks Eddy created are in it: the webhook trusts no other."""

    def __init__(self, redis: Redis, prefix: str, project_id: int) -> None:
        self.r = redis
        self.p = f"{prefix}ls:{project_id}:"

    def known(self, event_ids: list[str]) -> set[str]:
        if not event_ids:
            return set()
        found = self.r.hmget(self.p + "event_task", event_ids)
        return {e for e, t in zip(event_ids, found, strict=True) if t is not None}

    def count(self) -> int:
        """Tasks Eddy created in the project."""
        return int(self.r.hlen(self.p + "event_task"))

    def record(self, pairs: list[tuple[str, int]]) -> None:
        if not pairs:
            return
        pipe = self.r.pipeline()
        pipe.hset(self.p + "event_task", mapping={e: str(t) for e, t in pairs})
        pipe.hset(self.p + "task_event", mapping={str(t): e for e, t in pairs})
        top = max(t for _, t in pairs)
        # Only ever raise the high-water mark.
        pipe.eval(
            "local c = tonumber(redis.call('GET', KEYS[1]) or '0') "
            "if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end return 1",
            1,
            self.p + "max_task",
            str(top),
        )
        pipe.execute()

    def intend(self, texts: dict[str, str]) -> None:
        """Before an import: the digest of each task's text, by channel:event id."""
        if texts:
            self.r.hset(self.p + "event_text", mapping={k: digest(t) for k, t in texts.items()})

    def keeps_digests(self) -> bool:
        """Whether any digest was recorded for this project (see the module's docstring)."""
        return bool(self.r.exists(self.p + "event_text"))

    def sent(self, key: str, text: str) -> bool | None:
        """Whether Eddy sent ``text`` for ``key``; None when it kept no digest (a task
        indexed before digests were kept)."""
        value = self.r.hget(self.p + "event_text", key)
        if value is None:
            return None
        return (value.decode() if isinstance(value, bytes) else str(value)) == digest(text)

    def vouches(self, task: dict[str, Any]) -> bool:
        """A task Eddy created, in this index's project, for the same event, still carrying
        the text Eddy sent (tasks from before digests: their id and event alone)."""
        data, task_id = task.get("data") or {}, task.get("id")
        if not (isinstance(data, dict) and isinstance(task_id, int)):
            return False
        key = scoped(str(data.get("channel")), str(data.get("event_id")))
        return self.event_of(task_id) == key and self.sent(key, str(data.get("text"))) is not False

    def task_of(self, key: str) -> int | None:
        """The task id of a channel:event id key, else None."""
        value = self.r.hget(self.p + "event_task", key)
        return int(value) if value is not None else None

    def event_of(self, task_id: int) -> str | None:
        """The channel:event id of a task Eddy created, else None."""
        value = self.r.hget(self.p + "task_event", str(task_id))
        return value.decode() if isinstance(value, bytes) else value

    def forget_task(self, task_id: int) -> None:
        """A task deleted from Label Studio (annotation.retire): its id maps to no event, so a
        late webhook or poll of it is not Eddy's. Its event keeps its entry (``known``), so
        the import stays exactly-once."""
        self.r.hdel(self.p + "task_event", str(task_id))

    def max_task(self) -> int:
        return int(self.r.get(self.p + "max_task") or 0)


class TaskSubmitter:
    def __init__(
        self,
        client: LabelStudioClient,
        index: TaskIndex,
        project_id: int,
        context_of: Callable[[dict[str, Any]], str] | None = None,
        suggest: bool = False,
    ) -> None:
        self.client = client
        self.suggest = suggest  # EDDY_ANNOTATION_SUGGEST: the model's guess on the task
        self.index = index
        self.project_id = project_id
        # The conversation's earlier turns for a review (labels.threads), when known.
        self.context_of = context_of
        self.model_version = 0  # the project's, as far as this submitter set it

    def catch_up(self) -> int:
        """Index tasks Label Studio has but Eddy did not record (e.g. after a crash)."""
        pairs = []
        strict = self.index.keeps_digests()
        for t in self.client.tasks_after(self.project_id, self.index.max_task()):
            data = t.get("data") or {}
            event_id, channel = data.get("event_id"), data.get("channel")
            if isinstance(event_id, str) and isinstance(channel, str):
                key = scoped(channel, event_id)
                # Only a task Eddy meant to import: not one a user imported with an event id.
                if not strict or self.index.sent(key, str(data.get("text"))):
                    pairs.append((key, int(t["id"])))
        self.index.record(pairs)
        return len(pairs)

    def submit(self, reviews: list[dict[str, Any]]) -> SubmitResult:
        self.catch_up()
        unique: dict[str, dict[str, Any]] = {}
        for r in reviews:
            unique.setdefault(scoped(r["channel"], r["event_id"]), r)
        known = self.index.known(list(unique))
        fresh = [r for e, r in unique.items() if e not in known]
        if not fresh:
            return SubmitResult(0, len(reviews))
        context = self.context_of or (lambda _r: NO_CONTEXT)
        self.index.intend({scoped(r["channel"], r["event_id"]): str(r["text"]) for r in fresh})
        ids = self.client.import_tasks(
            self.project_id, [task_for_review(r, context(r), self.suggest) for r in fresh]
        )
        if len(ids) == len(fresh):
            # Label Studio returns ids in the order of the request.
            self.index.record(
                [(scoped(r["channel"], r["event_id"]), t) for r, t in zip(fresh, ids, strict=True)]
            )
        else:  # unexpected answer: learn the truth from Label Studio itself
            self.catch_up()
        newest = max(int(r["model_version"]) for r in fresh)
        if newest > self.model_version:
            # The first tasks of a version: uncertainty sampling follows its predictions.
            self.client.update_project(self.project_id, model_version=f"v{newest}")
            self.model_version = newest
        log.info("imported %d task(s) into project %d", len(fresh), self.project_id)
        return SubmitResult(len(fresh), len(reviews) - len(fresh))
