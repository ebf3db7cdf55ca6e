"""Paired comparison: intervals, McNemar, Wilson."""

from __future__ import annotations

import pytest

from services.training.paired import compare, mcnemar_exact, wilson


def test_mcnemar_exact_known_values() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(0, 10) == pytest.approx(2 / 1024)


def test_interval_contains_the_difference_and_is_seeded() -> None:
    y = [0, 1] * 100
    a = [0] * 200  # 50%
    b = [0, 1] * 80 + [1, 0] * 20  # 80%
    one = compare(y, a, b, 2, seed=3)
    assert one == compare(y, a, b, 2, seed=3)
    assert one.accuracy.estimate == pytest.approx(0.3)
    assert one.accuracy.low < 0.3 < one.accuracy.high and one.accuracy.low > 0.15
    assert one.macro_f1.estimate > 0 and one.mcnemar_p < 0.001
    assert (one.only_champion_right, one.only_challenger_right) == (20, 80)


def test_compare_refuses_unpaired_input() -> None:
    with pytest.raises(ValueError, match="same examples"):
        compare([0, 1], [0], [0, 1], 2)
    with pytest.raises(ValueError, match="nothing"):
        compare([], [], [], 2)


def test_wilson_interval() -> None:
    iv = wilson(80, 100)
    assert iv.estimate == 0.8 and 0.70 < iv.low < 0.72 and 0.86 < iv.high < 0.88
    assert wilson(0, 0).low == 0.0 and wilson(0, 0).high == 1.0
