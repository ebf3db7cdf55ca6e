"""Pure logic of the loop: consensus, triggers, dataset building, the promotion gate."""

from __future__ import annotations

import pytest

from services.demo.annotators import answer, needs_overlap
from services.labels.consensus import consensus, is_newer
from services.labels.records import LabelledExample
from services.model.metrics import compute_metrics
from services.training.dataset import build_run_data, in_holdout
from services.training.gate import GateConfig, promote_if_better
from services.training.triggers import should_train


def test_consensus_majority_tie_and_skips() -> None:
    c = consensus([("submitted", "a"), ("submitted", "a"), ("submitted", "b")])
    assert c.label == "a" and c.agreement == 0.6667 and c.annotators == 3
    assert consensus([("submitted", "a"), ("submitted", "b")]).label is None
    assert consensus([("skipped", None), ("submitted", "b")]).label == "b"
    assert not consensus([("deleted", None)]).resolved


def test_newer_compares_instants_not_strings() -> None:
    assert is_newer("2026-01-01T10:00:00.5Z", "2026-01-01T10:00:00Z")
    assert not is_newer("2026-01-01T11:00:00+01:00", "2026-01-01T10:00:00Z")
    assert is_newer("2026-01-01T10:00:00Z", None)


@pytest.mark.parametrize(
    ("new", "age", "force", "fire"),
    [
        (0, 10_000.0, True, False),
        (50, 1.0, False, True),
        (3, 3600.0, False, True),
        (3, 10.0, False, False),
        (3, None, True, True),
    ],
)
def test_trigger(new: int, age: float | None, force: bool, fire: bool) -> None:
    t = should_train(new, age, min_new_labels=50, max_age_s=3600, force=force)
    assert t.fire is fire and t.reason


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


def _metrics(gold: list[str], pred: list[str]):  # type: ignore[no-untyped-def]
    return compute_metrics(gold, pred, ["neg", "pos"])


GOLD = ["neg"] * 30 + ["pos"] * 10


def test_gate_promotes_equal_or_better() -> None:
    champ = _metrics(GOLD, ["neg"] * 40)
    better = _metrics(GOLD, ["neg"] * 30 + ["pos"] * 10)
    d = promote_if_better(champ, better, GateConfig())
    assert d.promote, d.reasons
    assert promote_if_better(champ, champ, GateConfig()).promote


def test_gate_rejects_worse_overall_and_per_class() -> None:
    champ = _metrics(GOLD, ["neg"] * 30 + ["pos"] * 10)
    worse = _metrics(GOLD, ["neg"] * 25 + ["pos"] * 5 + ["pos"] * 10)
    d = promote_if_better(champ, worse, GateConfig(tolerance=0.01))
    assert not d.promote and any("accuracy" in r for r in d.reasons)
    # Within the overall tolerance but a well-supported class collapses -> rejected.
    one_class = _metrics(GOLD, ["neg"] * 30 + ["neg"] * 3 + ["pos"] * 7)
    d = promote_if_better(
        champ, one_class, GateConfig(tolerance=0.5, class_tolerance=0.05, min_support=5)
    )
    assert not d.promote and any("class 'pos'" in r for r in d.reasons)
    # The same class with too little support is not gated on its own.
    assert promote_if_better(
        champ, one_class, GateConfig(tolerance=0.5, class_tolerance=0.05, min_support=20)
    ).promote


def test_gate_refuses_empty_or_mismatched_holdouts() -> None:
    empty = compute_metrics([], [], ["neg"])
    champ = _metrics(GOLD, ["neg"] * 40)
    assert not promote_if_better(empty, empty, GateConfig()).promote
    assert not promote_if_better(champ, _metrics(GOLD[:10], ["neg"] * 10), GateConfig()).promote


def test_simulated_annotator_error_rate() -> None:
    import random

    rng = random.Random(0)
    answers = [answer("a", ["a", "b", "c"], 0.2, rng) for _ in range(2000)]
    wrong = sum(a != "a" for a in answers) / len(answers)
    assert 0.15 < wrong < 0.25
    assert answer("a", ["a"], 1.0, rng) == "a"


def test_overlap_share_is_stable_per_task() -> None:
    chosen = [t for t in range(5000) if needs_overlap(t, 0.2)]
    assert 0.17 < len(chosen) / 5000 < 0.23
    assert chosen == [t for t in range(5000) if needs_overlap(t, 0.2)]
    assert not any(needs_overlap(t, 0.0) for t in range(100))
