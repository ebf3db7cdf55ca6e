"""Withdrawn tasks nobody answered, deleted from Label Studio after a while.

A re-score after a promotion withdraws the open tasks the new champion is sure about: they
leave Eddy's open queue and sort after every case still worth a human, but stay in Label
Studio. With each promotion more pile up (up to the routing budget an hour per channel), in
the project's task list, its counts and its database, and a week on they are worth nobody's
time: the model that doubted them is long gone. So after EDDY_ANNOTATION_WITHDRAWN_DAYS a
withdrawn task with no answer is deleted, with Eddy's maps of it in Redis (task -> event, its
near-duplicates); its event -> task entry stays, so a replay never imports it again. Its
prediction is the model's, not anyone's work, and the event itself stays in the stream. A
withdrawn task someone answered or skipped is kept, maps and all (its label may still be
edited); it only leaves the withdrawn list. One with a draft waits for the next pass.

The withdrawn list keeps the version, the time of withdrawal and the project ("7 1767225600
3"); an entry an older Eddy wrote (the version alone) starts counting at the first pass that
reads it, in the project Eddy uses now.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.lserrors import LabelStudioRefused, LabelStudioUnavailable
from services.annotation.submit import TaskIndex
from services.labels.neardup import near_fingerprint
from services.labels.queue import (
    members_key,
    neardup_key,
    withdrawn_at,
    withdrawn_key,
    withdrawn_project,
    withdrawn_value,
    withdrawn_version,
)

log = logging.getLogger("eddy.annotation.retire")
DAY_S = 86400.0


@dataclass(frozen=True)
class Retired:
    deleted: int  # unanswered: deleted from Label Studio, maps dropped
    answered: int  # kept in Label Studio; off the withdrawn list
    gone: int  # no longer in Label Studio (deleted by hand): maps dropped
    waiting: int  # withdrawn less than the setting's days ago, or left for the next pass

    @property
    def done(self) -> int:
        return self.deleted + self.answered + self.gone


def due(entries: dict[str, str], now: float, keep_s: float, limit: int) -> Iterator[str]:
    """The keys (channel:event id) withdrawn at least ``keep_s`` ago, oldest first, at most
    ``limit`` (a pass stays short: each costs Label Studio two calls)."""
    aged = sorted(
        (at, key)
        for key, value in entries.items()
        if (at := withdrawn_at(value)) is not None and now - at >= keep_s
    )
    for _, key in aged[:limit]:
        yield key


def retire_withdrawn(
    client: LabelStudioClient,
    redis: Redis,
    prefix: str,
    project_id: int,
    keep_days: float,
    now: float,
    limit: int = 200,
) -> Retired:
    """One pass; ``keep_days`` 0 keeps every task (nothing is read). Label Studio down, or
    refusing Eddy's token, ends the pass (the next one tries again); a task it refuses for
    another reason is left on the list and the pass goes on."""
    if keep_days <= 0:
        return Retired(0, 0, 0, 0)
    key = withdrawn_key(prefix)
    entries = {str(k): str(v) for k, v in redis.hgetall(key).items()}
    undated = {k: v for k, v in entries.items() if withdrawn_at(v) is None}
    if undated:  # an older Eddy's entries (the version alone): counted from now on
        redis.hset(
            key, mapping={k: withdrawn_value(withdrawn_version(v), now) for k, v in undated.items()}
        )
    counts = dict.fromkeys(("deleted", "answered", "gone"), 0)
    for scoped_id in due(entries, now, keep_days * DAY_S, limit):
        # The task's own project: one Eddy used before EDDY_LABEL_STUDIO_PROJECT changed too.
        project = withdrawn_project(entries[scoped_id])
        index = TaskIndex(redis, prefix, project_id if project is None else project)
        task_id = index.task_of(scoped_id)
        try:
            outcome, text = _retire(client, task_id) if task_id is not None else ("gone", "")
        except LabelStudioUnavailable as exc:
            log.warning("retiring withdrawn tasks paused: %s", type(exc).__name__)
            break
        except LabelStudioRefused as exc:
            log.warning("task %s: Label Studio answered %d", task_id, exc.status_code)
            if exc.auth:
                break
            continue
        if outcome == "busy":  # a draft: someone is at it
            continue
        counts[outcome] += 1
        if outcome == "answered":
            redis.hdel(key, scoped_id)
        else:
            _forget(redis, prefix, index, scoped_id, task_id, text)
    deleted, answered, gone = counts["deleted"], counts["answered"], counts["gone"]
    done = Retired(deleted, answered, gone, len(entries) - (deleted + answered + gone))
    if done.done:
        log.info("withdrawn tasks older than %g day(s): %d deleted, %d answered (kept), "
                 "%d already gone", keep_days, deleted, answered, gone)  # fmt: skip
    return done


def _retire(client: LabelStudioClient, task_id: int) -> tuple[str, str]:
    """(deleted, answered, busy or gone; the task's text)."""
    try:
        task = client.get_task(task_id)
    except LabelStudioRefused as exc:
        if exc.status_code == 404:
            return "gone", ""
        raise
    text = str((task.get("data") or {}).get("text") or "")
    # An answer or a skip is someone's work: kept (its label may still be edited). So is a
    # draft Label Studio saved while someone labels it: tried again at the next pass.
    if (
        task.get("total_annotations")
        or task.get("cancelled_annotations")
        or task.get("annotations")
    ):
        return "answered", text
    if task.get("drafts"):
        return "busy", text
    try:
        client.delete_task(task_id)
    except LabelStudioRefused as exc:
        if exc.status_code != 404:
            raise
    return "deleted", text


def _forget(
    redis: Redis, prefix: str, index: TaskIndex, scoped_id: str, task_id: int | None, text: str
) -> None:
    """The task's maps go, but its event -> task entry and text digest stay: the import stays
    exactly-once (a replay of review.v1 never makes the task again), and the digests keep
    vouching for Eddy's tasks."""
    channel, _, event_id = scoped_id.partition(":")
    if task_id is not None:
        index.forget_task(task_id)
    pipe = redis.pipeline()
    pipe.hdel(withdrawn_key(prefix), scoped_id)
    pipe.delete(members_key(prefix, channel, event_id))
    fingerprint = near_fingerprint(text) if text else None
    if fingerprint is not None:  # the near-duplicates' pointer, if it still names this one
        pipe.eval(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 1",
            1,
            neardup_key(prefix, channel, fingerprint),
            event_id,
        )
    pipe.execute()
