"""The webhook's HTTP contract with an in-memory sink (pure logic of the receiver; the real
one is in tests/e2e/test_loop.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.annotation.client import SECRET_HEADER
from services.annotation.webhook import PATH, create_webhook_app
from services.core.settings import LabelStudioSettings
from services.labels.records import AnnotationRecord
from services.labels.sink import LabelSink


class MemorySink(LabelSink):
    """A LabelSink that keeps what it is given in memory instead of Redis."""

    def __init__(self) -> None:  # no store: put and delete below never touch one
        self.recs: list[AnnotationRecord] = []
        self.deleted: list[int] = []

    def put(self, rec: AnnotationRecord) -> bool:
        self.recs.append(rec)
        return True

    def delete(self, annotation_id: int, at: str, source: str) -> bool:
        self.deleted.append(annotation_id)
        return True


def test_webhook_requires_secret_and_handles_actions() -> None:
    s = LabelStudioSettings(webhook_secret="s3cret")
    sink = MemorySink()
    app = create_webhook_app(s, lambda: sink)
    with TestClient(app) as http:
        assert http.post(PATH, json={"action": "ANNOTATION_CREATED"}).status_code == 401
        bad = http.post(PATH, json={}, headers={SECRET_HEADER: "wrong"})
        assert bad.status_code == 401 and SECRET_HEADER in bad.json()["detail"]
        ok = {SECRET_HEADER: "s3cret"}
        assert http.post(PATH, content=b"{nope", headers=ok).status_code == 400
        # A body nested 100,000 deep: 400, not a RecursionError's 500 (a security trial's).
        deep = http.post(PATH, content=b"[" * 100_000 + b"]" * 100_000, headers=ok)
        assert deep.status_code == 400 and "nested deeper" in deep.json()["detail"]
        r = http.post(PATH, json={"action": "ANNOTATION_CREATED"}, headers=ok)
        assert r.status_code == 422 and "annotation" in r.json()["detail"]
        payload = {
            "action": "ANNOTATION_UPDATED",
            "annotation": {
                "id": 3,
                "task": 4,
                "result": [],
                "was_cancelled": True,
                "updated_at": "2026-01-01T00:00:00Z",
            },
            "task": {"id": 4, "data": {"event_id": "e-4", "text": "t"}},
        }
        assert http.post(PATH, json=payload, headers=ok).json() == {
            "action": "ANNOTATION_UPDATED",
            "stored": 1,
        }
        assert sink.recs[0].status == "skipped" and sink.recs[0].source == "webhook"
        r = http.post(
            PATH, json={"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 3}]}, headers=ok
        )
        assert r.json()["deleted"] == 1 and sink.deleted == [3]
        manual = {**payload, "task": {"id": 5, "data": {"text": "made by hand"}}}
        r = http.post(PATH, json=manual, headers=ok)
        assert r.status_code == 200 and r.json()["ignored"]


def test_a_label_for_a_task_eddy_did_not_create_is_never_stored() -> None:
    s = LabelStudioSettings(webhook_secret="s3cret")
    sink = MemorySink()
    ours = {7}
    app = create_webhook_app(s, lambda: sink, is_ours=lambda task: task.get("id") in ours)
    ann = {"id": 1, "result": [], "was_cancelled": True, "updated_at": "2026-01-01T00:00:00Z"}
    with TestClient(app) as http:
        for task_id, stored in ((99, False), (7, True)):
            payload = {
                "action": "ANNOTATION_CREATED",
                "annotation": {**ann, "task": task_id},
                "task": {"id": task_id, "project": 1, "data": {"event_id": "e", "text": "t"}},
            }
            r = http.post(PATH, json=payload, headers={SECRET_HEADER: "s3cret"})
            assert r.status_code == 200
            assert r.json().get("ignored", False) is not stored
    assert len(sink.recs) == 1
