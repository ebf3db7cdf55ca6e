"""Reconciliation reads every change while annotators keep working: pure logic of the
checkpoint and the queries, against an in-memory Label Studio listing that changes between
queries (the real server is in tests/integration/test_label_studio_bridge.py and the kill
test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.annotation import reconcile
from services.annotation.lserrors import LabelStudioRefused, LabelStudioUnavailable
from services.annotation.reconcile import Reconciler
from services.labels.records import AnnotationRecord
from services.labels.sink import LabelSink

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LiveProject:
    """Tasks as Label Studio lists them: filtered by updated_at, ordered by it, paged. After
    each query an annotator changes task 1 or 2, whichever is older: it moves from the front
    of the order to its end, and every task after it moves one place forward."""

    def __init__(self, n: int, same_instant: bool = False) -> None:
        self.now = T0
        self.tasks: dict[int, dict[str, Any]] = {}
        self.next_ann = 1000
        for i in range(1, n + 1):
            at = T0 if same_instant else T0 + timedelta(seconds=i)
            self.tasks[i] = {
                "id": i,
                "updated_at": _iso(at),
                "data": {"event_id": f"e{i}", "channel": "chat", "text": "t"},
                "annotations": [self._ann(i, at)],
            }
        self.now = T0 + timedelta(seconds=n + 1)
        self.queries = 0
        self.busy = True

    def _ann(self, task: int, at: datetime) -> dict[str, Any]:
        self.next_ann += 1
        return {
            "id": self.next_ann,
            "task": task,
            "result": [{"type": "choices", "value": {"choices": ["a"]}}],
            "updated_at": _iso(at),
        }

    def tasks_updated_since(
        self, project_id: int, since: str, limit: int, page: int = 1
    ) -> tuple[list[dict[str, Any]], int]:
        self.queries += 1
        after = datetime.strptime(since, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        hits = sorted(
            (t for t in self.tasks.values() if _ts(t["updated_at"]) > after),
            key=lambda t: (t["updated_at"], t["id"]),
        )
        answer = [dict(t) for t in hits[(page - 1) * limit : page * limit]], len(hits)
        if self.busy:
            self.label_one()
        return answer

    def label_one(self) -> None:
        task = min(self.tasks[1], self.tasks[2], key=lambda t: str(t["updated_at"]))
        self.now += timedelta(seconds=10)
        task["annotations"] = [*task["annotations"], self._ann(task["id"], self.now)]
        task["updated_at"] = _iso(self.now)

    def annotation_ids(self) -> dict[int, set[int]]:
        return {i: {a["id"] for a in t["annotations"]} for i, t in self.tasks.items()}


def _ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class MemoryStore:
    def __init__(self) -> None:
        self.by_task: dict[int, set[int]] = {}
        self.anns: dict[int, dict[str, Any]] = {}
        self.emails: dict[str, str] = {}
        self.earlier: list[str] = []  # annotators stored before the reconciler started

    def annotator_emails(self) -> dict[str, str]:
        return dict(self.emails)

    def annotator_quality(self) -> dict[str, dict[str, float]]:
        return {who: {"answers": 1} for who in self.earlier}

    def remember_annotators(self, emails: dict[str, str]) -> None:
        self.emails.update(emails)

    def task_annotation_ids(self, task_id: int) -> set[int]:
        return set(self.by_task.get(task_id, set()))

    def annotation(self, annotation_id: int) -> dict[str, Any] | None:
        return self.anns.get(annotation_id)


class MemorySink(LabelSink):
    def __init__(self) -> None:
        self.store = MemoryStore()  # type: ignore[assignment]

    def put(self, rec: AnnotationRecord) -> bool:
        store: MemoryStore = self.store  # type: ignore[assignment]
        new = rec.annotation_id not in store.anns
        store.anns[rec.annotation_id] = {"updated_at": rec.updated_at}
        store.by_task.setdefault(rec.task_id, set()).add(rec.annotation_id)
        return new


class MemoryRedis:
    """The checkpoint, and the task index: every task i is Eddy's, for event chat:e<i>."""

    def __init__(self) -> None:
        self.kv: dict[str, str] = {}
        self.hashes: dict[str, dict[str, str]] = {}

    def get(self, key: str) -> str | None:
        return self.kv.get(key)

    def exists(self, key: str) -> int:
        return int(key in self.hashes)

    def hget(self, key: str, field: str) -> str | None:
        if key.endswith(":task_event") and key not in self.hashes:
            return f"chat:e{field}"
        return self.hashes.get(key, {}).get(field)

    def set(self, key: str, value: str) -> None:
        self.kv[key] = value


def _reconciler(project: LiveProject) -> tuple[Reconciler, MemorySink]:
    sink = MemorySink()
    rec = Reconciler(project, sink, MemoryRedis(), "t:", 1)  # type: ignore[arg-type]
    return rec, sink


@pytest.mark.parametrize("page", [3, 4, 7, 100])
def test_annotations_saved_while_a_pass_reads_are_all_stored(
    page: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A walk over pages of this listing skips the task pushed back onto a page already read.
    monkeypatch.setattr(reconcile, "PAGE", page)
    project = LiveProject(12)
    rec, sink = _reconciler(project)
    rec.run_once()
    project.busy = False
    rec.run_once()  # what the last query of the pass could not see yet
    assert sink.store.by_task == project.annotation_ids()  # type: ignore[attr-defined]


def test_a_full_page_goes_on_from_its_newest_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reconcile, "PAGE", 4)
    project = LiveProject(10)
    project.busy = False
    rec, sink = _reconciler(project)
    result = rec.run_once()
    assert sink.store.by_task == project.annotation_ids()  # type: ignore[attr-defined]
    assert result.checkpoint == project.tasks[10]["updated_at"]
    assert project.queries == 3  # pages end at tasks 4, 7 and 10 (one second re-read)
    assert rec.run_once().stored == 0


def test_more_changes_in_one_instant_than_a_page_are_walked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reconcile, "PAGE", 4)
    project = LiveProject(10, same_instant=True)
    project.busy = False
    rec, sink = _reconciler(project)
    rec.run_once()
    assert sink.store.by_task == project.annotation_ids()  # type: ignore[attr-defined]


def test_a_capped_page_size_still_reads_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    # Label Studio's TASK_API_PAGE_SIZE_MAX answers fewer than asked for.
    project = LiveProject(9)
    project.busy = False
    real = project.tasks_updated_since
    monkeypatch.setattr(
        project, "tasks_updated_since", lambda p, s, limit, page=1: real(p, s, 2, page)
    )
    rec, sink = _reconciler(project)
    rec.run_once()
    assert sink.store.by_task == project.annotation_ids()  # type: ignore[attr-defined]


class NamedProject(LiveProject):
    """Annotations by Label Studio users 7, 8 and 9; Label Studio lists 7 and 8 only (9 was
    deleted), or refuses to list its users at all."""

    def __init__(self, refuse: bool = False) -> None:
        super().__init__(3)
        self.busy = False
        for n, task in enumerate(self.tasks.values()):
            task["annotations"][0]["completed_by"] = 7 + n
        self.user_calls = 0
        self.refuse = refuse
        self.down = False

    def user_emails(self) -> dict[str, str]:
        self.user_calls += 1
        if self.refuse:
            raise LabelStudioRefused("list users: Label Studio answered 403: forbidden", 403)
        if self.down:
            raise LabelStudioUnavailable("list users: Label Studio answered 502")
        return {"7": "ann7@example.com", "8": "ann8@example.com", "1": "admin@example.com"}


def test_annotators_are_named_once_by_email() -> None:
    project = NamedProject()
    rec, sink = _reconciler(project)
    rec.run_once()
    store: MemoryStore = sink.store  # type: ignore[assignment]
    assert store.emails == {"7": "ann7@example.com", "8": "ann8@example.com"}
    assert project.user_calls == 1
    # Tasks 1 and 3 change: user 7 is known, user 9 (not listed) was looked for already.
    project.label_one()
    project.now += timedelta(seconds=10)
    project.tasks[3]["updated_at"] = _iso(project.now)
    assert rec.run_once().tasks == 3  # task 2 too: within the overlap of the checkpoint
    assert project.user_calls == 1, "no lookup for names already known or not listed"


def test_a_refused_user_listing_leaves_ids_and_never_fails_the_pass() -> None:
    project = NamedProject(refuse=True)
    rec, sink = _reconciler(project)
    assert rec.run_once().stored == 3
    assert sink.store.emails == {}  # type: ignore[attr-defined]
    project.label_one()
    rec.run_once()
    assert project.user_calls == 1, "not asked again after a refusal"


def test_names_missed_in_an_outage_are_asked_again_and_earlier_ones_too() -> None:
    project = NamedProject()
    project.down = True
    rec, sink = _reconciler(project)
    store: MemoryStore = sink.store  # type: ignore[assignment]
    store.earlier = ["1"]  # labelled before this reconciler started, not in any task read now
    rec.run_once()
    assert store.emails == {} and project.user_calls == 1
    project.down = False
    project.tasks.clear()  # nothing to read: the ids can only come from the pass that failed
    rec.run_once()
    assert store.emails == {
        "1": "admin@example.com",
        "7": "ann7@example.com",
        "8": "ann8@example.com",
    }


def test_a_task_eddy_did_not_send_or_whose_text_changed_is_not_stored() -> None:
    """Label Studio's users can import tasks into the project (with an event id) and edit a
    task's data: only a task in Eddy's index with the text Eddy sent gives labels."""
    from services.annotation.submit import TaskIndex, digest

    project = LiveProject(3)
    project.busy = False
    rec, sink = _reconciler(project)
    redis: MemoryRedis = rec.redis  # type: ignore[assignment]
    redis.hashes["t:ls:1:task_event"] = {"1": "chat:e1", "2": "chat:e2"}  # not task 3
    redis.hashes["t:ls:1:event_text"] = {"chat:e1": digest("t"), "chat:e2": digest("other")}
    rec.run_once()
    assert set(sink.store.by_task) == {1}  # type: ignore[attr-defined]
    index = TaskIndex(redis, "t:", 1)  # type: ignore[arg-type]
    assert index.sent("chat:e1", "t") and index.sent("chat:e2", "t") is False
    assert index.sent("chat:e9", "t") is None, "no digest kept: a task from before them"


def test_without_any_digest_every_task_gives_its_labels() -> None:
    """Redis lost (or an index from before digests): the poll recovers every label."""
    project = LiveProject(3)
    project.busy = False
    rec, sink = _reconciler(project)
    redis: MemoryRedis = rec.redis  # type: ignore[assignment]
    redis.hashes["t:ls:1:task_event"] = {}  # the index is gone too
    rec.run_once()
    assert set(sink.store.by_task) == {1, 2, 3}  # type: ignore[attr-defined]


def test_a_lone_surrogate_in_a_users_task_does_not_stop_the_digest() -> None:
    from services.annotation.submit import digest

    assert digest("\ud800") != digest("") and len(digest("\ud800")) == 32
