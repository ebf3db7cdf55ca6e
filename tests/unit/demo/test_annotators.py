"""The demo's simulated annotators: error rate and overlap share."""

from __future__ import annotations

import random

from services.demo.annotators import needs_overlap
from services.labels.noise import answer, answer_for


def test_simulated_annotator_error_rate() -> None:
    rng = random.Random(0)
    answers = [answer("a", ["a", "b", "c"], 0.2, rng) for _ in range(2000)]
    wrong = sum(a != "a" for a in answers) / len(answers)
    assert 0.15 < wrong < 0.25
    assert answer("a", ["a"], 1.0, rng) == "a"


def test_one_event_gets_the_same_answer_every_time() -> None:
    labels = ["a", "b", "c"]
    first = [answer_for(f"e{i}", "a", labels, 0.2) for i in range(2000)]
    assert first == [answer_for(f"e{i}", "a", labels, 0.2) for i in range(2000)]
    assert 0.15 < sum(a != "a" for a in first) / len(first) < 0.25
    assert all(answer_for(f"e{i}", "a", labels, 0.0) == "a" for i in range(100))


def test_overlap_share_is_stable_per_task() -> None:
    chosen = [t for t in range(5000) if needs_overlap(t, 0.2)]
    assert 0.17 < len(chosen) / 5000 < 0.23
    assert chosen == [t for t in range(5000) if needs_overlap(t, 0.2)]
    assert not any(needs_overlap(t, 0.0) for t in range(100))
