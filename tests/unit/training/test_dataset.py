"""Run data: a fixed holdout, new labels, a seeded replay of used ones."""

from __future__ import annotations

from services.labels.records import LabelledExample
from services.training.dataset import build_run_data, in_holdout


def _ex(i: int, label: str = "a") -> LabelledExample:
    return LabelledExample(f"ev-{i}", i, f"text {i}", label, 1.0, 1, float(i))


def test_dataset_holdout_is_fixed_and_replay_is_seeded() -> None:
    labelled = [_ex(i) for i in range(200)] + [_ex(999, "zzz")]
    used = {f"ev-{i}" for i in range(100)}
    a = build_run_data(labelled, used, ["a"], 20, 30, seed=1)
    b = build_run_data(labelled, used, ["a"], 20, 30, seed=1)
    assert a == b
    assert a.skipped_unknown_label == 1
    hold = {e.event_id for e in a.holdout}
    assert 20 <= len(hold) <= 60 and all(in_holdout(e, 20) for e in hold)
    assert not hold & {e.event_id for e in a.new + a.replay}
    assert all(e.event_id not in used for e in a.new)
    assert len(a.replay) == 30 and all(e.event_id in used for e in a.replay)
    assert a.oldest_new == min(e.first_resolved for e in a.new)
