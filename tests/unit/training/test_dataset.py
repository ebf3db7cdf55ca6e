"""Run data: audit labels never trained on, new labels, a seeded replay, the oldest labels."""

from __future__ import annotations

from services.labels.records import LabelledExample
from services.training.dataset import build_run_data


def _ex(i: int, label: str = "a") -> LabelledExample:
    return LabelledExample(f"ev-{i}", i, f"text {i}", label, 1.0, 1, float(i))


def test_audit_labels_are_the_holdout_and_never_trained_on() -> None:
    labelled = [_ex(i) for i in range(200)] + [_ex(999, "zzz")]
    used = {f"ev-{i}" for i in range(100)}
    audit = {f"ev-{i}": "chat" for i in range(0, 200, 10)}
    a = build_run_data(labelled, used, ["a"], audit, 30, seed=1, forget_size=15)
    assert a == build_run_data(labelled, used, ["a"], audit, 30, seed=1, forget_size=15)
    assert a.skipped_unknown_label == 1
    assert {e.event_id for e in a.audit} == set(audit)
    trained = {e.event_id for e in a.new + a.replay + a.earlier}
    assert not trained & set(audit), "an audit label reached training"
    assert {e.text for e in a.every_label} == {f"text {i[3:]}" for i in trained}
    assert all(e.event_id not in used for e in a.new)
    assert len(a.replay) == 30 and all(e.event_id in used for e in a.replay)
    assert [e.event_id for e in a.oldest][:3] == ["ev-1", "ev-2", "ev-3"]
    assert len(a.oldest) == 15 and a.oldest_new == min(e.first_resolved for e in a.new)
