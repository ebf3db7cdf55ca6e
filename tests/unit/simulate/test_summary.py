"""Simulate summaries: mean curves over seeds, AUC, labels to match random."""

from __future__ import annotations

from typing import Any

import pytest

from services.simulate.summary import auc, labels_to_reach, mean_curve, summarise


def _arm(strategy: str, seed: int, accs: list[float]) -> dict[str, Any]:
    points = [{"labels": 60 * i, "accuracy": a, "macro_f1": a - 0.1} for i, a in enumerate(accs)]
    return {"strategy": strategy, "recipe": "auto", "seed": seed, "points": points}


ARMS = [
    _arm("random", 1, [0.70, 0.72, 0.74]),
    _arm("random", 2, [0.70, 0.74, 0.76]),
    _arm("margin", 1, [0.70, 0.76, 0.78]),
    _arm("margin", 2, [0.70, 0.74, 0.80]),
]


def test_mean_curve_and_auc() -> None:
    curve = mean_curve(ARMS[:2])
    assert [p["labels"] for p in curve] == [0, 60, 120]
    assert [round(p["mean"], 3) for p in curve] == [0.70, 0.73, 0.75]
    assert auc(curve) == pytest.approx((0.70 + 0.73) / 4 + (0.73 + 0.75) / 4)
    assert auc(curve[:1]) is None


def test_seeds_that_end_at_different_counts_are_compared_where_all_reached() -> None:
    """A stream that ran out: seeds end at 138, 131, 144 labels. The curve stops at 131, where
    every seed has a figure (the others read between their points), not at 144 from one."""
    ends = [(138, 0.80), (131, 0.77), (144, 0.90)]
    arms = [
        {"strategy": "random", "recipe": "auto", "seed": i, "points": [
            {"labels": 0, "accuracy": 0.70}, {"labels": 120, "accuracy": 0.78},
            {"labels": end, "accuracy": acc}]}
        for i, (end, acc) in enumerate(ends)
    ]  # fmt: skip
    curve = mean_curve(arms)
    assert [(p["labels"], p["n"]) for p in curve] == [(0, 3), (120, 3), (131, 3)]
    # 131 of seed 0: 0.78 + 0.02 x 11/18; of seed 2: 0.78 + 0.12 x 11/24.
    assert curve[-1]["mean"] == pytest.approx(
        (0.78 + 0.02 * 11 / 18 + 0.77 + 0.78 + 0.12 * 11 / 24) / 3
    )
    assert curve[1]["sd"] == 0.0 and curve[-1]["sd"] > 0


def test_the_spread_is_the_sample_sd() -> None:
    curve = mean_curve(ARMS[:2])  # 0.74 and 0.76 at 120 labels
    assert curve[-1]["sd"] == pytest.approx(0.01414, abs=1e-5)


def test_labels_to_match_random_and_summary_keys() -> None:
    curve = mean_curve(ARMS[2:])
    assert labels_to_reach(curve, 0.75) == 60
    assert labels_to_reach(curve, 0.95) is None
    summary = summarise(ARMS)
    assert set(summary) == {"margin", "random"}
    assert summary["margin"]["labels_to_match_random"] == 60
    assert summary["random"]["labels_to_match_random"] == 120
    assert summary["margin"]["final_accuracy"] == 0.79 and summary["margin"]["seeds"] == 2
    several = summarise([*ARMS, {**ARMS[0], "recipe": "warm"}])
    assert "random@warm" in several and "margin@auto" in several


def test_summary_counts_gate_decisions_the_test_set_shows_wrong() -> None:
    runs = [
        {"outcome": "promoted", "test_diff": 0.03, "wrong": False},
        {"outcome": "promoted", "test_diff": -0.025, "wrong": True},
        {"outcome": "skipped"},  # no challenger: nothing to check
    ]
    summary = summarise([{**ARMS[2], "runs": runs}, {**ARMS[3], "runs": runs[:1]}, *ARMS[:2]])
    assert summary["margin"]["gate_decisions"] == 3 and summary["margin"]["gate_wrong"] == 1
    assert summary["random"]["gate_decisions"] == 0 and summary["random"]["gate_wrong"] == 0
