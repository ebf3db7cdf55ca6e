"""After a promotion: the open tasks re-scored by the new champion, so Label Studio keeps
serving the least sure first, and the ones it is now sure about withdrawn.

Label Studio orders the open tasks by their prediction of the project's model version,
lowest score first (its uncertainty sampling, and the "Least sure first" Data Manager tab
annotators open). So every open task gets the new champion's prediction, its score 1 - the
new routing score (the old ones are deleted: they are the model's, not anyone's work), and
the project moves to the new version. A task the new champion is sure about is withdrawn: it
leaves Eddy's open queue and its confident prediction sorts it after every case still worth
a human; deprioritised, and deleted once EDDY_ANNOTATION_WITHDRAWN_DAYS pass with no answer
(annotation.retire). A task someone already answered is never touched.
The task's own guess follows the setting: the new champion's label in it with
EDDY_ANNOTATION_SUGGEST, none without (tasks an older Eddy wrote kept theirs). The trainer
re-scores once at start when the queue was last written for another champion, setting or
task format, so an upgrade or a changed setting reaches the open tasks at once, not at the
next promotion.
An audit or random pick is a sample of traffic, not a case chosen for the model's doubt: it
gets the new champion's prediction but keeps its place in the queue and is never withdrawn
(withdrawing the ones the champion is sure of would leave the holdout only hard cases).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.lserrors import LabelStudioRefused
from services.annotation.project import set_model_version
from services.annotation.submit import TaskIndex, scoped
from services.annotation.tasks import guess, sampled_priority
from services.core.settings import CHANNELS
from services.labels.audit import audit_key
from services.labels.queue import (
    ReviewQueue,
    open_key,
    random_key,
    withdrawn_key,
    withdrawn_value,
)

log = logging.getLogger("eddy.annotation.rescore")
# texts -> (uncertainty score in [0, 1], predicted label) per text
Scorer = Callable[[Sequence[str]], list[tuple[float, str]]]


@dataclass(frozen=True)
class Rescored:
    kept: int
    withdrawn: int
    skipped: int  # answered already, or gone from Label Studio


def rescored_key(prefix: str) -> str:
    return f"{prefix}queue:rescored"


# Raise when the task body changes (v2: blind tasks carry no guess in data or prediction).
TASK_FORMAT = 2


def queue_mark(version: int, suggest: bool) -> str:
    """What the open tasks were last written for: the champion, the setting, the format."""
    return f"v{version} {'suggest' if suggest else 'blind'} format {TASK_FORMAT}"


def _data_for(data: dict[str, Any], label: str, suggest: bool) -> dict[str, Any] | None:
    """The task's data with the guess as the setting wants it, or None when it already is."""
    wanted = {k: v for k, v in data.items() if k not in ("model_label", "model_confidence")}
    if suggest:
        wanted["model_label"] = label
    return None if wanted == data else wanted


def rescore_open_tasks(
    client: LabelStudioClient,
    redis: Redis,
    prefix: str,
    project_id: int,
    version: int,
    score: Scorer,
    withdraw_below: Callable[[str], float],
    threshold: Callable[[str], float],
    suggest: bool = False,
) -> Rescored:
    queue, index = ReviewQueue(redis, prefix), TaskIndex(redis, prefix, project_id)
    kept = withdrawn = skipped = 0
    unread: list[int] = []  # tasks Label Studio did not answer for (not deleted ones)
    for channel in CHANNELS:
        tasks: list[tuple[str, dict[str, Any]]] = []
        for event_id, _ in queue.open_tasks(channel):
            task_id = index.task_of(scoped(channel, event_id))
            task = _task(client, task_id, unread) if task_id is not None else None
            if task is None or task.get("total_annotations") or task.get("annotations"):
                skipped += 1
                continue
            tasks.append((event_id, task))
        if not tasks:
            continue
        log.info("v%d: re-scoring %d open %s task(s)", version, len(tasks), channel)
        scores = score([str((t.get("data") or {}).get("text") or "") for _, t in tasks])
        for (event_id, task), (uncertainty, label) in zip(tasks, scores, strict=True):
            sampled = _sampled(redis, prefix, event_id)
            for old in task.get("predictions") or []:
                if isinstance(old, dict) and old.get("id") is not None:
                    client.delete_prediction(int(old["id"]))
            # Every open task gets the new champion's prediction: a withdrawn one's is sure,
            # so it sorts after every case still worth a human (in either queue order). A
            # sampled one's score is its drawn place again (computed, not read back: a task
            # imported before the draw existed gets one now).
            at = (
                sampled_priority(event_id, threshold(channel))
                if sampled
                else round(1.0 - uncertainty, 6)
            )
            client.add_prediction(int(task["id"]), f"v{version}", at, guess(label, suggest))
            data = _data_for(dict(task.get("data") or {}), label, suggest)
            if data is not None:
                client.update_task_data(int(task["id"]), data)
            if not sampled and uncertainty < withdraw_below(channel):
                redis.zrem(open_key(prefix, channel), event_id)
                entry = withdrawn_value(version, time.time(), project_id)  # retire counts from then
                redis.hset(withdrawn_key(prefix), scoped(channel, event_id), entry)
                withdrawn += 1
                continue
            redis.zadd(open_key(prefix, channel), {event_id: uncertainty})
            kept += 1
    if kept or withdrawn:  # Label Studio refuses a version it has no prediction of
        set_model_version(client, project_id, version)
    if not unread:  # else the trainer's next start tries the rest again
        redis.set(rescored_key(prefix), queue_mark(version, suggest))
    log.info("v%d re-scored open tasks: %d kept, %d withdrawn, %d skipped", version, kept,
             withdrawn, skipped)  # fmt: skip
    return Rescored(kept, withdrawn, skipped)


def _sampled(redis: Redis, prefix: str, event_id: str) -> bool:
    """An audit or random pick (the route agent records both before it sends the review)."""
    return bool(redis.hexists(audit_key(prefix), event_id)) or bool(
        redis.hexists(random_key(prefix), event_id)
    )


def _task(client: LabelStudioClient, task_id: int, unread: list[int]) -> dict[str, Any] | None:
    try:
        return client.get_task(task_id)
    except LabelStudioRefused as exc:
        if exc.status_code != 404:
            unread.append(task_id)
        log.warning("task %d: %s", task_id, type(exc).__name__)  # 404: deleted by hand
    except Exception as exc:
        unread.append(task_id)
        log.warning("task %d: %s", task_id, type(exc).__name__)
    return None
