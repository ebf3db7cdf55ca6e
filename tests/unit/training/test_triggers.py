"""When a training run fires."""

from __future__ import annotations

import pytest

from services.training.triggers import should_train


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


def test_waits_for_a_holdout_the_gate_can_judge_on() -> None:
    t = should_train(80, 1.0, min_new_labels=50, max_age_s=3600, holdout=40, min_holdout=100)
    assert not t.fire
    assert "40 of the 100" in t.reason and "EDDY_GATE_MIN_HOLDOUT" in t.reason
    assert should_train(80, 1.0, 50, 3600, holdout=100, min_holdout=100).fire
    # Forcing trains anyway (the gate then refuses to promote automatically).
    assert should_train(3, 1.0, 50, 3600, force=True, holdout=0, min_holdout=100).fire
    # Too few labels is the first thing said.
    assert "3/50" in should_train(3, 1.0, 50, 3600, holdout=0, min_holdout=100).reason


def test_no_labels_reads_like_a_count_too() -> None:
    # The console's trigger line: "0/50" where there are none, as "6/50" where there are some.
    assert should_train(0, None, min_new_labels=50, max_age_s=3600).reason == (
        "no new labels (0/50)"
    )
    assert should_train(6, 1.0, min_new_labels=50, max_age_s=3600).reason.startswith("6/50 new")
