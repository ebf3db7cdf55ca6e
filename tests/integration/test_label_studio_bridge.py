"""The Label Studio side on a real server: idempotent task import (also after a crash between
Label Studio's commit and Eddy's bookkeeping), simulated annotators with their own accounts
and overlapping votes, and reconciliation into the Redis label store with consensus."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.project import ensure_project
from services.annotation.reconcile import Reconciler
from services.annotation.submit import TaskIndex, TaskSubmitter
from services.annotation.tasks import labeling_config, task_for_review
from services.core.settings import Settings
from services.demo.annotators import AnnotatorPool
from services.labels.labelset import label_set_state
from services.labels.sink import LabelSink
from services.labels.store import LabelStore
from tests.helpers import close_label_studio

LABELS = ["negative", "neutral", "positive"]


def _review(run: str, n: int) -> dict[str, Any]:
    return {
        "event_id": f"{run}-{n}",
        "channel": "crm",
        "key": "acct-1",
        "text": f"case note number {n}",
        "label": "neutral",
        "probs": {"negative": 0.3, "neutral": 0.4, "positive": 0.3},
        "confidence": 0.4,
        "model_version": 1,
        "metadata": {"priority": "high"},
        "strategy": "least_confidence",
        "score": 0.6,
        "threshold": 0.4,
        "routed_at": "2026-01-01T00:00:00Z",
    }


def _connected(
    settings: Settings, request: pytest.FixtureRequest, name: str
) -> tuple[str, Settings, Redis, LabelStudioClient]:
    """A project and a Redis prefix of the test's own, and clients closed after it."""
    run = uuid.uuid4().hex[:6]
    s = settings.override(
        label_studio={"project": f"Eddy {name} {run}"}, redis={"prefix": f"{name[:2]}{run}:"}
    )
    redis = Redis.from_url(s.redis.url, decode_responses=True)
    request.addfinalizer(redis.close)
    client = LabelStudioClient(s.label_studio)
    request.addfinalizer(lambda: close_label_studio(client))
    return run, s, redis, client


def test_import_is_idempotent_and_annotators_reach_the_store(
    settings: Settings, redis_server: str, label_studio: str, request: pytest.FixtureRequest
) -> None:
    run, s, redis, client = _connected(settings, request, "bridge")
    project = ensure_project(s.label_studio, client, redis, s.redis.prefix, LABELS)
    ls_log = s.stack.logs_dir / "label-studio.log"
    refused = "Model version doesn't exist"
    before = ls_log.read_text(errors="replace").count(refused) if ls_log.exists() else 0
    # A champion with no predictions in the project yet is not asked for: Label Studio
    # refused it with an ERROR and a traceback in its log at every start.
    again = ensure_project(
        s.label_studio, client, redis, s.redis.prefix, LABELS, s.annotation, champion=1
    )
    assert again == project, "found again by title"
    assert client.model_versions(project) == set()
    if ls_log.exists():
        assert ls_log.read_text(errors="replace").count(refused) == before
    assert client.project_labels(project) == LABELS
    index = TaskIndex(redis, s.redis.prefix, project)
    submitter = TaskSubmitter(client, index, project)

    reviews = [_review(run, n) for n in range(5)]
    first = submitter.submit([*reviews, reviews[0]])
    assert (first.created, first.already) == (5, 1)
    assert submitter.submit(reviews).created == 0
    assert client.model_versions(project) == {"v1"}, "the imported tasks' predictions"
    # A crash after Label Studio stored a task but before Eddy recorded it (the digest of
    # its text is recorded before the import):
    index.intend({f"crm:{run}-5": _review(run, 5)["text"]})
    client.import_tasks(project, [task_for_review(_review(run, 5))])
    resubmit = submitter.submit([_review(run, 5), _review(run, 6)])
    assert resubmit.created == 1, "the task Label Studio already had is not imported twice"
    tasks = list(client.tasks_after(project, 0))
    assert sorted(t["data"]["event_id"] for t in tasks) == sorted(f"{run}-{n}" for n in range(7))
    # What the webhook receiver checks (wiring.is_ours): a payload for Eddy's own task with
    # other text (the secret is readable through Label Studio's API) is not Eddy's.
    real = next(t for t in tasks if t["data"]["event_id"] == f"{run}-1")
    assert index.vouches(real)
    assert not index.vouches({**real, "data": {**real["data"], "text": "FORGED jane@x.com"}})

    gold = {f"{run}-{n}": LABELS[n % 3] for n in range(7)}
    pool = AnnotatorPool(
        client, project, gold.get, LABELS, size=3, error_rate=0.0, delay_s=0.0, overlap=1.0
    )  # every task overlapped: which ids a fraction picks depends on Label Studio's task ids
    pool.start()
    try:
        deadline = time.monotonic() + 60
        while pool.pending() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert pool.pending() == 0
    finally:
        pool.stop()
    assert pool.stats.overlapped == 7
    assert pool.stats.answered == 7 + 2 * pool.stats.overlapped

    # A Label Studio user imports a task with an event id of their own, and raw text, and
    # labels it: it is not indexed as Eddy's, and gives no label.
    forged = {**_review(run, 7), "text": "raw: jane.doe@example.com"}
    (forged_task,) = client.import_tasks(project, [task_for_review(forged)])
    client.annotate(forged_task, "negative")
    submitter.catch_up()
    assert index.event_of(forged_task) is None, "a task Eddy did not send is not indexed"
    store = LabelStore(redis, s.redis.prefix)
    result = Reconciler(client, LabelSink(store), redis, s.redis.prefix, project, LABELS).run_once()
    assert result.stored == pool.stats.answered
    assert store.example(f"{run}-7") is None, "the user's own task gave no label"
    for event_id, label in gold.items():
        ex = store.example(event_id)
        assert ex is not None and ex["label"] == label and ex["agreement"] == 1.0
    stored = [store.annotation(a) for t in tasks for a in store.task_annotation_ids(int(t["id"]))]
    assert None not in stored
    annotators = {a["annotator"] for a in stored if a is not None}
    assert annotators == {str(u) for u in pool.user_ids}
    assert store.annotator_emails() == {
        str(u): f"sim-annotator-{i + 1}@eddy.invalid" for i, u in enumerate(pool.user_ids)
    }, "the poll looked up each annotator's email"
    assert store.agreement()["events_with_several_votes"] == pool.stats.overlapped
    assert (
        Reconciler(client, LabelSink(store), redis, s.redis.prefix, project, LABELS)
        .run_once()
        .stored
        == 0
    ), "a second poll changes nothing"


def test_a_project_is_found_past_the_first_page_of_titles_that_contain_its_own(
    settings: Settings, label_studio: str, request: pytest.FixtureRequest
) -> None:
    # Label Studio's title filter matches substrings, newest first: the first page alone
    # missed an older project, and a duplicate would have been created.
    client = LabelStudioClient(settings.label_studio)
    request.addfinalizer(lambda: close_label_studio(client))
    title = f"Eddy find {uuid.uuid4().hex[:6]}"
    wanted = client.create_project(title, labeling_config(LABELS))
    for n in range(3):
        client.create_project(f"{title} copy {n}", labeling_config(LABELS))
    assert client.find_project(title, page_size=2) == wanted
    assert client.find_project(f"{title} copy 0", page_size=2) is not None
    assert client.find_project(f"{title} missing", page_size=2) is None


def test_a_label_added_to_the_set_is_offered_and_a_used_one_is_never_dropped(
    settings: Settings,
    redis_server: str,
    label_studio: str,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An operator added 'refund' to EDDY_LABELS: the project kept its old choices, so no
    # annotator could pick it, and the only word of it was a log line.
    run, s, redis, client = _connected(settings, request, "relabel")
    project = ensure_project(s.label_studio, client, redis, s.redis.prefix, LABELS, s.annotation)
    TaskSubmitter(client, TaskIndex(redis, s.redis.prefix, project), project).submit(
        [_review(run, 0)]
    )
    (task,) = client.tasks_after(project, 0)
    client.annotate(int(task["id"]), "negative")
    grown = [*LABELS, "refund"]
    ensure_project(s.label_studio, client, redis, s.redis.prefix, grown, s.annotation)
    assert sorted(client.project_labels(project)) == sorted(grown)
    assert label_set_state(redis, s.redis.prefix) is None, "the project offers Eddy's set"
    # 'negative' renamed: Eddy takes no label away from a project (Label Studio would let
    # it, leaving the annotation that uses it without its choice); the log says what to do.
    renamed = ["complaint", "neutral", "positive", "refund"]
    ensure_project(s.label_studio, client, redis, s.redis.prefix, renamed, s.annotation)
    assert sorted(client.project_labels(project)) == sorted(grown)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert f"Label Studio project {project} still offers" in said
    assert "set EDDY_LABEL_STUDIO_PROJECT to a new project name" in said
    # Said where ops look too: the console's banner, `eddy status` and an alert read this.
    state = label_set_state(redis, s.redis.prefix)
    assert state is not None
    found = (state["project"], state["extra"], state["missing"])
    assert found == (project, ["negative"], ["complaint"])
