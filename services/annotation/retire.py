"""Withdrawn tasks nobody answered, deleted from Label Studio after a while.

A re-score after a promotion withdraws the open tasks the new champion is sure about: they
leave Eddy's open queue and sort after every case still worth a human, but stay in Label
Studio. With each promotion more pile up (up to the routing budget a day per channel), in the
project's task list, its counts and its database, and a week on they are worth nobody's time:
the model that doubted them is long gone. So after EDDY_ANNOTATION_WITHDRAWN_DAYS a withdrawn
task with no answer is deleted, with Eddy's maps of it in Redis (event <-> task, the text's
digest, its near-duplicates). Its prediction is the model's, not anyone's work, and the event
itself stays in the stream. A withdrawn task someone answered is kept, maps and all (its
label may still be edited); it only leaves the withdrawn list.

The withdrawn list keeps the version and the time of withdrawal ("7 1767225600"); an entry
an older Eddy wrote (the version alone) starts counting at the first pass that reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.lserrors import LabelStudioRefused
from services.annotation.submit import TaskIndex
from services.labels.queue import (
    members_key,
    open_key,
    withdrawn_at,
    withdrawn_key,
    withdrawn_value,
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
    """One pass; ``keep_days`` 0 keeps every task (nothing is read)."""
    if keep_days <= 0:
        return Retired(0, 0, 0, 0)
    key = withdrawn_key(prefix)
    entries = {str(k): str(v) for k, v in redis.hgetall(key).items()}
    undated = {k: v for k, v in entries.items() if withdrawn_at(v) is None}
    if undated:  # an older Eddy's entries (the version alone): counted from now on
        redis.hset(key, mapping={k: withdrawn_value(_version(v), now) for k, v in undated.items()})
    index = TaskIndex(redis, prefix, project_id)
    deleted = answered = gone = 0
    todo = list(due(entries, now, keep_days * DAY_S, limit))
    for scoped_id in todo:
        task_id = index.task_of(scoped_id)
        state = _state(client, task_id) if task_id is not None else "gone"
        if state == "unread":  # Label Studio down or refusing: the next pass tries again
            break
        if state == "answered":
            redis.hdel(key, scoped_id)
            answered += 1
            continue
        if state == "open" and task_id is not None:
            if not _delete(client, task_id):
                break
            deleted += 1
        else:
            gone += 1
        _forget(redis, prefix, index, scoped_id, task_id)
    done = Retired(deleted, answered, gone, len(entries) - (deleted + answered + gone))
    if done.done:
        log.info("withdrawn tasks older than %g day(s): %d deleted, %d answered (kept), "
                 "%d already gone", keep_days, deleted, answered, gone)  # fmt: skip
    return done


def _version(value: str) -> int:
    head = value.split()[0] if value.split() else ""
    return int(head) if head.isdecimal() else 0


def _state(client: LabelStudioClient, task_id: int) -> str:
    try:
        task = client.get_task(task_id)
    except LabelStudioRefused as exc:
        if exc.status_code == 404:
            return "gone"
        log.warning("task %d: %s", task_id, type(exc).__name__)
        return "unread"
    except Exception as exc:
        log.warning("task %d: %s", task_id, type(exc).__name__)
        return "unread"
    # An answer, or a skip: someone's work, kept (its label may still be edited).
    return "answered" if task.get("total_annotations") or task.get("annotations") else "open"


def _delete(client: LabelStudioClient, task_id: int) -> bool:
    try:
        client.delete_task(task_id)
    except LabelStudioRefused as exc:
        if exc.status_code == 404:
            return True
        log.warning("deleting task %d: %s", task_id, type(exc).__name__)
        return False
    except Exception as exc:
        log.warning("deleting task %d: %s", task_id, type(exc).__name__)
        return False
    return True


def _forget(
    redis: Redis, prefix: str, index: TaskIndex, scoped_id: str, task_id: int | None
) -> None:
    channel, _, event_id = scoped_id.partition(":")
    index.forget(scoped_id, task_id)
    pipe = redis.pipeline()
    pipe.hdel(withdrawn_key(prefix), scoped_id)
    pipe.zrem(open_key(prefix, channel), event_id)  # never there once withdrawn; to be sure
    pipe.delete(members_key(prefix, channel, event_id))
    pipe.execute()
