"""Withdrawn tasks on a real Label Studio and Redis: past EDDY_ANNOTATION_WITHDRAWN_DAYS an
unanswered one is deleted with Eddy's maps of it (but its event keeps its entry: a replay
imports nothing); an answered or skipped one is kept with its maps, one with a draft waits;
one deleted by hand is forgotten; a younger one waits, and an entry an older Eddy wrote (the
version alone) starts counting at the first pass."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.lserrors import LabelStudioRefused
from services.annotation.retire import retire_withdrawn
from services.annotation.submit import TaskIndex, TaskSubmitter
from services.annotation.tasks import choice_result, labeling_config
from services.core.settings import Settings
from services.labels.neardup import near_fingerprint
from services.labels.queue import (
    members_key,
    neardup_key,
    withdrawn_at,
    withdrawn_key,
    withdrawn_value,
)
from tests.helpers import close_label_studio

LABELS = ["negative", "neutral", "positive"]
DAY = 86400.0
WORDS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]


def _review(run: str, n: int) -> dict[str, Any]:
    return {
        "event_id": f"{run}-{n}",
        "channel": "chat",
        "key": "k",
        "text": f"{WORDS[n]} message about my flight",  # no two alike, digits aside
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
    TaskSubmitter(client, index, project).submit([_review(run, n) for n in range(7)])
    key = {n: f"chat:{run}-{n}" for n in range(7)}
    task = {n: index.task_of(key[n]) for n in range(7)}
    assert all(t is not None for t in task.values())
    now = time.time()
    old, young = withdrawn_value(2, now - 8 * DAY), withdrawn_value(3, now - 1 * DAY)
    # 0: old, nobody answered; 1: old, answered; 2: old, deleted by hand; 3: young;
    # 4: written by an older Eddy (the version alone); 5: old, skipped by an annotator;
    # 6: old, with a draft Label Studio saved while someone labels it.
    entries = {key[0]: old, key[1]: old, key[2]: old, key[3]: young, key[4]: "2", key[5]: old,
               key[6]: old}  # fmt: skip
    for scoped_id, value in entries.items():
        redis.hset(withdrawn_key(prefix), scoped_id, value)
    redis.hset(members_key(prefix, "chat", f"{run}-0"), f"{run}-9", "fingerprint")
    pointer = neardup_key(prefix, "chat", near_fingerprint(_review(run, 0)["text"]) or "")
    redis.set(pointer, f"{run}-0")  # near-duplicates of 0 would be filed under its task
    other = neardup_key(prefix, "chat", near_fingerprint(_review(run, 3)["text"]) or "")
    redis.set(other, f"{run}-3")
    token = settings.label_studio.token.get_secret_value()
    httpx.post(
        f"{settings.label_studio.url}/api/tasks/{task[6]}/drafts",
        headers={"Authorization": f"Token {token}"},
        json={"result": [choice_result("neutral")], "lead_time": 1.0},
    ).raise_for_status()
    client.annotate(task[1] or 0, "negative")
    client.annotate(task[5] or 0, None, skip=True)
    client.delete_task(task[2] or 0)
    # 7: old, in the project Eddy used before EDDY_LABEL_STUDIO_PROJECT changed.
    before = client.create_project(f"Eddy retire before {run}", labeling_config(LABELS))
    earlier = TaskIndex(redis, prefix, before)
    TaskSubmitter(client, earlier, before).submit([_review(run, 7)])
    key[7], task[7] = f"chat:{run}-7", earlier.task_of(f"chat:{run}-7")
    redis.hset(withdrawn_key(prefix), key[7], withdrawn_value(2, now - 8 * DAY, before))

    assert retire_withdrawn(client, redis, prefix, project, 0, now).done == 0, "0 keeps all"
    done = retire_withdrawn(client, redis, prefix, project, 7, now)
    assert (done.deleted, done.answered, done.gone, done.waiting) == (2, 2, 1, 3)
    assert earlier.event_of(task[7] or 0) is None, "deleted from its own project"
    with pytest.raises(LabelStudioRefused):
        client.get_task(task[7] or 0)

    with pytest.raises(LabelStudioRefused) as gone:
        client.get_task(task[0] or 0)
    assert gone.value.status_code == 404, "the unanswered task is deleted"
    assert index.event_of(task[0] or 0) is None, "a late webhook of it is not Eddy's"
    assert not redis.exists(members_key(prefix, "chat", f"{run}-0")) and not redis.exists(pointer)
    assert redis.get(other) == f"{run}-3", "another event's pointer stays"
    # Its event keeps its entry and digest: a replay of its review makes no task again.
    again = TaskSubmitter(client, index, project).submit([_review(run, 0)])
    assert (again.created, again.already) == (0, 1)
    assert index.sent(key[0], "first message about my flight") is True
    # The answered one stays, with its maps (an edit of its label must still arrive).
    assert client.get_task(task[1] or 0)["total_annotations"] == 1
    assert index.task_of(key[1]) == task[1] and index.event_of(task[1] or 0) == key[1]
    assert index.task_of(key[5]) == task[5], "a skip is someone's answer too: kept"
    assert index.event_of(task[2] or 0) is None, "deleted by hand: forgotten"
    left = redis.hgetall(withdrawn_key(prefix))
    assert set(left) == {key[3], key[4], key[6]}, "the draft's task waits for the next pass"
    client.get_task(task[6] or 0)
    assert left[key[3]] == young and withdrawn_at(str(left[key[4]])) == int(now), "dated from now"
    client.get_task(task[3] or 0)  # still there

    # Eight days on, 3 and 4 are due: deleted; the draft's task still waits.
    done = retire_withdrawn(client, redis, prefix, project, 7, now + 8 * DAY)
    assert (done.deleted, done.waiting) == (2, 1) and set(redis.hkeys(withdrawn_key(prefix))) == {
        key[6]
    }
    known = {n for n in range(7) if index.event_of(task[n] or 0) is not None}
    assert known == {1, 5, 6}, "tasks left: the answered, the skipped, the draft's"
