"""Withdrawn tasks on a real Label Studio and Redis: past EDDY_ANNOTATION_WITHDRAWN_DAYS an
unanswered one is deleted with Eddy's maps of it; an answered (or skipped) one is kept with
its maps; one deleted by hand is forgotten; a younger one waits, and an entry an older Eddy
wrote (the version alone) starts counting at the first pass."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.lserrors import LabelStudioRefused
from services.annotation.retire import retire_withdrawn
from services.annotation.submit import TaskIndex, TaskSubmitter
from services.annotation.tasks import labeling_config
from services.core.settings import Settings
from services.labels.queue import members_key, withdrawn_at, withdrawn_key, withdrawn_value
from tests.helpers import close_label_studio

LABELS = ["negative", "neutral", "positive"]
DAY = 86400.0


def _review(run: str, n: int) -> dict[str, Any]:
    return {
        "event_id": f"{run}-{n}",
        "channel": "chat",
        "key": "k",
        "text": f"message number {n} about my flight",
        "label": "neutral",
        "probs": dict.fromkeys(LABELS, 1 / 3),
        "confidence": 0.4,
        "model_version": 1,
        "strategy": "margin",
        "score": 0.5,
        "threshold": 0.0,
        "routed_at": "2026-01-01T00:00:00Z",
        "sample": "routed",
    }


def test_withdrawn_tasks_nobody_answered_are_deleted_after_the_days(
    settings: Settings, redis_server: str, label_studio: str, request: pytest.FixtureRequest
) -> None:
    run = uuid.uuid4().hex[:6]
    prefix = f"w{run}:"
    redis = Redis.from_url(settings.redis.url, decode_responses=True)
    request.addfinalizer(redis.close)
    client = LabelStudioClient(settings.label_studio)
    request.addfinalizer(lambda: close_label_studio(client))
    project = client.create_project(f"Eddy retire {run}", labeling_config(LABELS))
    index = TaskIndex(redis, prefix, project)
    TaskSubmitter(client, index, project).submit([_review(run, n) for n in range(6)])
    key = {n: f"chat:{run}-{n}" for n in range(6)}
    task = {n: index.task_of(key[n]) for n in range(6)}
    assert all(t is not None for t in task.values())
    now = time.time()
    old, young = withdrawn_value(2, now - 8 * DAY), withdrawn_value(3, now - 1 * DAY)
    # 0: old, nobody answered; 1: old, answered; 2: old, deleted by hand; 3: young;
    # 4: written by an older Eddy (the version alone); 5: old, skipped by an annotator.
    entries = {key[0]: old, key[1]: old, key[2]: old, key[3]: young, key[4]: "2", key[5]: old}
    for scoped_id, value in entries.items():
        redis.hset(withdrawn_key(prefix), scoped_id, value)
    redis.hset(members_key(prefix, "chat", f"{run}-0"), f"{run}-9", "fingerprint")
    client.annotate(task[1] or 0, "negative")
    client.annotate(task[5] or 0, None, skip=True)
    client.delete_task(task[2] or 0)

    assert retire_withdrawn(client, redis, prefix, project, 0, now).done == 0, "0 keeps all"
    done = retire_withdrawn(client, redis, prefix, project, 7, now)
    assert (done.deleted, done.answered, done.gone, done.waiting) == (1, 2, 1, 2)

    with pytest.raises(LabelStudioRefused) as gone:
        client.get_task(task[0] or 0)
    assert gone.value.status_code == 404, "the unanswered task is deleted"
    assert index.task_of(key[0]) is None and index.event_of(task[0] or 0) is None
    assert index.sent(key[0], "message number 0 about my flight") is None, "its digest too"
    assert not redis.exists(members_key(prefix, "chat", f"{run}-0"))
    # The answered one stays, with its maps (an edit of its label must still arrive).
    assert client.get_task(task[1] or 0)["total_annotations"] == 1
    assert index.task_of(key[1]) == task[1] and index.event_of(task[1] or 0) == key[1]
    assert index.task_of(key[5]) == task[5], "a skip is someone's answer too: kept"
    assert index.task_of(key[2]) is None, "deleted by hand: forgotten"
    left = redis.hgetall(withdrawn_key(prefix))
    assert set(left) == {key[3], key[4]}
    assert left[key[3]] == young and withdrawn_at(str(left[key[4]])) == int(now), "dated from now"
    client.get_task(task[3] or 0)  # still there

    # Eight days on, both are due: deleted.
    done = retire_withdrawn(client, redis, prefix, project, 7, now + 8 * DAY)
    assert (done.deleted, done.waiting) == (2, 0) and not redis.exists(withdrawn_key(prefix))
    assert index.count() == 2, "only the answered and the skipped task are left"
