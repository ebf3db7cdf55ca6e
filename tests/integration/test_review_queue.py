"""The review queue on a real Label Studio: the project shows its instructions and serves the
least sure task first; after a promotion the open tasks are re-scored by the new champion,
re-ordered, and the ones it is sure about withdrawn (never a task someone answered, nor an
audit pick, which keeps its drawn place among the routed cases); the annotation's origin
reaches the label store."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.project import HIDDEN_COLUMNS, LEAST_SURE_FIRST, ensure_project
from services.annotation.rescore import queue_mark, rescored_key
from services.annotation.submit import TaskIndex, TaskSubmitter
from services.annotation.tasks import choice_result, labeling_config, parse_annotation, priority
from services.app.requeue import requeue_after_promotion
from services.core.settings import Settings
from services.labels.audit import audit_key
from services.labels.queue import (
    ReviewQueue,
    open_key,
    withdrawn_at,
    withdrawn_key,
    withdrawn_project,
)
from services.labels.store import LabelStore
from services.registry.rollout import change_champion
from services.registry.store import ModelRegistry
from tests.helpers import close_label_studio, copy_models

TEXTS = [
    "@united thank you so much, the crew was wonderful and we landed early!",
    "@united lost my bag again, third time this year, absolutely furious",
    "@united flight UA 902 is it on time",
    "@united ok",
    "@united the seat was fine I guess but the food was cold",
    "@united what is the baggage allowance for economy to london",
]


def _review(run: str, n: int, score: float, labels: list[str]) -> dict[str, Any]:
    return {
        "event_id": f"{run}-{n}",
        "channel": "chat",
        "key": "k",
        "text": TEXTS[n],
        "label": labels[0],
        "probs": {lab: 1 / len(labels) for lab in labels},
        "confidence": 0.4,
        "model_version": 1,
        "strategy": "margin",
        "score": score,
        "threshold": 0.0,
        "routed_at": "2026-01-01T00:00:00Z",
        "sample": "routed",
    }


def test_least_sure_first_kept_fresh_after_a_promotion(
    settings: Settings,
    redis_server: str,
    label_studio: str,
    champion: int,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    run = uuid.uuid4().hex[:6]
    source = ModelRegistry(settings.stack.models_dir).get(champion)
    s = settings.override(
        label_studio={"project": f"Eddy queue {run}"},
        redis={"prefix": f"q{run}:"},
        stack={"registry_dir": tmp_path / "models"},
        annotation={
            "instructions": f"Label the customer's mood ({run}).",
            "label_definitions": {"negative": "a complaint"},
        },
    )
    reg = ModelRegistry(s.stack.models_dir)
    for _ in range(2):
        reg.add(lambda d: copy_models(source.path, d), source.meta)
    change_champion(reg, 1, "bootstrapped", "test")
    labels = source.labels
    redis = Redis.from_url(s.redis.url, decode_responses=True)
    request.addfinalizer(redis.close)
    client = LabelStudioClient(s.label_studio)
    request.addfinalizer(lambda: close_label_studio(client))
    # Created first by a process without the definitions (the trainer's reconciler does).
    created = client.create_project(s.label_studio.project, labeling_config(labels))
    assert "hint=" not in client.project_config(created)[0]
    # ... and by an Eddy whose "Least sure first" tab hid no column.
    old_tab = {"title": LEAST_SURE_FIRST, "ordering": ["tasks:predictions_score"]}
    client.sdk.views.create(project=created, data=old_tab)  # type: ignore[arg-type]
    project = ensure_project(
        s.label_studio, client, redis, s.redis.prefix, labels, s.annotation, champion=1
    )
    assert project == created
    config = client.project_config(project)[0]
    assert 'hint="a complaint"' in config and "single-radio" in config, config
    tabs = [v.data for v in client.sdk.views.list(project=project)]
    assert len(tabs) == 1 and tabs[0] is not None
    assert tabs[0]["hiddenColumns"]["explore"] == HIDDEN_COLUMNS
    raw = client.sdk.projects.get(id=project)
    assert f"({run})" in str(raw.expert_instruction) and "a complaint" in str(
        raw.expert_instruction
    )
    assert raw.show_instruction and raw.sampling == "Uncertainty sampling"

    scores = [0.2, 0.9, 0.5, 0.7, 0.3, 0.6]  # routing scores under v1: event 1 least sure
    reviews = [_review(run, n, sc, labels) for n, sc in enumerate(scores)]
    # An audit pick the model is sure of (score 0.02): by that score it would sort last.
    top = 1.0 - s.routing.threshold_for("chat")
    audit = {**_review(run, 0, 0.02, labels), "event_id": f"{run}-audit", "sample": "audit",
             "threshold": 1.0 - top}  # fmt: skip
    place = priority(audit)
    assert 0.0 <= place <= top, "drawn in the routed cases' range (1 - threshold)"
    redis.hset(audit_key(s.redis.prefix), audit["event_id"], "chat")
    # Written as an Eddy that suggested the model's guess did (in the data and preselected).
    TaskSubmitter(client, TaskIndex(redis, s.redis.prefix, project), project, suggest=True).submit(
        [*reviews, audit]
    )
    assert client.sdk.projects.get(id=project).model_version == "v1", "sampling follows v1"
    queue = ReviewQueue(redis, s.redis.prefix)
    redis.zadd(
        open_key(s.redis.prefix, "chat"), {r["event_id"]: r["score"] for r in [*reviews, audit]}
    )

    headers = {"Authorization": f"Token {s.label_studio.token.get_secret_value()}"}

    def next_event() -> str:
        r = httpx.get(f"{s.label_studio.url}/api/projects/{project}/next", headers=headers)
        r.raise_for_status()
        return str(r.json()["data"]["event_id"])

    first = f"{run}-1" if place > 0.1 else audit["event_id"]
    assert next_event() == first, "the least sure task first (or the audit pick drawn before it)"

    # The annotator accepts the pre-annotation of that task unchanged (one click).
    index = TaskIndex(redis, s.redis.prefix, project)
    store = LabelStore(redis, s.redis.prefix)
    for n in (1, 3):
        tid = index.task_of(f"chat:{run}-{n}")
        assert tid is not None
        client.sdk.annotations.create(
            id=tid, result=[{**choice_result(labels[0]), "origin": "prediction"}]
        )
        task = client.get_task(tid)
        rec = parse_annotation(task["annotations"][0], task, "poll", labels)
        assert rec.origin == "prediction"
        store.upsert(rec)
        stored = store.annotation(rec.annotation_id)
        assert stored is not None and stored["origin"] == "prediction"
    assert f"{run}-1" not in dict(queue.open_tasks("chat")), "a label closes the entry"
    # Task 3 still wants a second annotator (overlap): open, but answered.
    redis.zadd(open_key(s.redis.prefix, "chat"), {f"{run}-3": 0.7})

    change_champion(reg, 2, "promoted", "test")
    done = requeue_after_promotion(s.override(annotation={"withdraw_below": 0.0}), client,
                                   redis, project)  # fmt: skip
    assert done is not None and (done.kept, done.withdrawn, done.skipped) == (5, 0, 1)
    assert client.sdk.projects.get(id=project).model_version == "v2"
    # Blind now (the default): no guess left in any open task's data or prediction (task 3,
    # answered once, is never touched).
    for e in {e for e, _ in queue.open_tasks("chat")} - {f"{run}-3"}:
        task = client.get_task(index.task_of(f"chat:{e}") or 0)
        assert "model_label" not in task["data"] and task["data"]["event_id"] == e
        assert [p["result"] for p in task["predictions"] if p["model_version"] == "v2"] == [[]]
    assert redis.get(rescored_key(s.redis.prefix)) == queue_mark(2, False)
    others = (f"{run}-3", audit["event_id"])
    rescored = {e: sc for e, sc in queue.open_tasks("chat") if e not in others}
    cut = sorted(rescored.values())[len(rescored) // 2]
    # Withdraw what v2 scores under the median of its own scores on these texts.
    done = requeue_after_promotion(s.override(annotation={"withdraw_below": cut}), client,
                                   redis, project)  # fmt: skip
    assert done is not None and done.withdrawn >= 1 and done.skipped == 1
    kept = {e: sc for e, sc in queue.open_tasks("chat") if e not in others}
    assert kept and all(sc >= cut for sc in kept.values())
    assert f"{run}-3" in dict(queue.open_tasks("chat")), "an answered task is never withdrawn"
    gone = set(redis.hkeys(withdrawn_key(s.redis.prefix)))
    values = [str(v) for v in redis.hvals(withdrawn_key(s.redis.prefix))]
    dated = [withdrawn_at(v) for v in values]
    assert all(at and abs(at - time.time()) < 600 for at in dated), "when, for the retire pass"
    assert {withdrawn_project(v) for v in values} == {project}, "and where"
    assert gone and not gone & {f"chat:{e}" for e in kept}
    for e in kept:
        tid = index.task_of(f"chat:{e}")
        assert tid is not None
        versions = {p["model_version"] for p in client.get_task(tid)["predictions"]}
        assert versions == {"v2"}, "re-scored: the old prediction is replaced"
    least_sure = max(kept, key=kept.__getitem__)
    expected = least_sure if 1.0 - kept[least_sure] < place else audit["event_id"]
    assert next_event() == expected, "the least sure under v2 first (or the audit pick)"

    # Withdraw every case v2 scores: the audit pick stays open, in its place, with v2's answer.
    done = requeue_after_promotion(s.override(annotation={"withdraw_below": 1.0}), client,
                                   redis, project)  # fmt: skip
    assert done is not None and (done.kept, done.withdrawn) == (1, len(kept))
    assert audit["event_id"] in dict(queue.open_tasks("chat"))
    tid = index.task_of(f"chat:{audit['event_id']}")
    assert tid is not None
    preds = client.get_task(tid)["predictions"]
    assert [(p["model_version"], round(p["score"], 6)) for p in preds] == [("v2", place)]

    # Suggesting again: the open task shows v2's guess, in its data and preselected.
    done = requeue_after_promotion(s.override(annotation={"suggest": True}), client, redis,
                                   project)  # fmt: skip
    assert done is not None and done.kept == 1
    task = client.get_task(tid)
    assert task["data"]["model_label"] in labels
    picked = [r["value"]["choices"] for r in task["predictions"][0]["result"]]
    assert picked == [[task["data"]["model_label"]]]
    assert redis.get(rescored_key(s.redis.prefix)) == queue_mark(2, True)
