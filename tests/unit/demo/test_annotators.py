"""The demo's simulated annotators: error rate and overlap share."""

from __future__ import annotations

import random

from services.demo.annotators import answer, needs_overlap


def test_simulated_annotator_error_rate() -> None:
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
