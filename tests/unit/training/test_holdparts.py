"""The holdout's parts (audit labels, seed holdout): scored apart, summarised for the
gate's reasons, and which of them the per-class check reads."""

from __future__ import annotations

from services.training.holdparts import class_check_sample, holdout_parts, parts_summary


def test_holdout_parts_score_each_part_apart() -> None:
    gold = ["a", "a", "b", "b", "b"]  # audit: the first 2, seed: the last 3
    champion = ["a", "b", "b", "b", "b"]
    challenger = ["a", "a", "a", "a", "b"]
    parts = holdout_parts(gold, champion, challenger, {"audit": 2, "seed": 3})
    assert parts == {
        "audit": {"n": 2, "champion_accuracy": 0.5, "challenger_accuracy": 1.0},
        "seed": {"n": 3, "champion_accuracy": 1.0, "challenger_accuracy": 0.3333},
    }
    assert parts_summary({"parts": parts}) == " (audit 2: +0.500, seed 3: -0.667)"


def test_one_part_or_an_empty_one_needs_no_summary() -> None:
    parts = holdout_parts(["a"], ["a"], ["b"], {"audit": 1, "seed": 0})
    assert list(parts) == ["audit"]
    assert parts_summary({"parts": parts}) == ""
    assert parts_summary({}) == ""


def test_the_per_class_check_reads_all_but_the_seed_part() -> None:
    assert class_check_sample(None, 4) == [0, 1, 2, 3]
    assert class_check_sample({"audit": 2, "seed": 3}, 5) == [0, 1]
    assert class_check_sample({"audit": 0, "seed": 3}, 3) == []
    assert class_check_sample({"audit": 3, "seed": 0}, 3) == [0, 1, 2]
    assert class_check_sample({"audit": 1, "seed": 1}, 4) == [0, 2, 3]  # unnamed tail kept
