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
