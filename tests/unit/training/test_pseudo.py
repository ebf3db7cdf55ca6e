"""Picking pseudo-labels: the surest rows, each class in the share the model predicts it."""

from __future__ import annotations

from collections.abc import Sequence

from services.training.pseudo import pick_pseudo, pseudo_examples

CLASSES = ["negative", "neutral", "positive"]


def test_each_class_in_its_predicted_share_surest_first() -> None:
    # 6 rows predicted negative, 3 neutral, 1 positive; the surest overall are all negative.
    probs = [[0.99 - i * 0.01, 0.005 + i * 0.01, 0.005] for i in range(6)]
    probs += [[0.2, 0.6 + i * 0.05, 0.2 - i * 0.05] for i in range(3)]
    probs += [[0.3, 0.3, 0.4]]
    picked = pick_pseudo(CLASSES, probs, 5)
    # 5 * 6/10 = 3 negative (the surest: rows 0-2); 1.5 neutral and 0.5 positive: the
    # largest remainder goes first, neutral's by tie on class order -> 2 (rows 8 and 7).
    assert picked == [0, 1, 2, 7, 8]


def test_a_top_n_alone_would_take_only_the_majority() -> None:
    probs = [[0.95, 0.03, 0.02]] * 8 + [[0.1, 0.1, 0.8]] * 2
    picked = pick_pseudo(CLASSES, probs, 5)
    assert len(picked) == 5
    assert sum(i >= 8 for i in picked) == 1, "the minority class keeps its share"


def test_the_quotas_add_up_to_n() -> None:
    # Shares 2/4, 1/4, 1/4 of 2: rounding each would give 1 + 0 + 0.
    probs = [[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]
    assert len(pick_pseudo(CLASSES, probs, 2)) == 2
    assert len(pick_pseudo(CLASSES, probs, 3)) == 3


def test_never_more_than_the_rows_and_nothing_for_zero() -> None:
    probs = [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]]
    assert pick_pseudo(CLASSES, probs, 100) == [0, 1]
    assert pick_pseudo(CLASSES, probs, 0) == []
    assert pick_pseudo(CLASSES, [], 5) == []


class Teacher:
    labels = CLASSES

    def predict_proba(self, texts: Sequence[str], chunk_size: int = 64) -> list[list[float]]:
        table = {"great": [0.05, 0.05, 0.9], "awful": [0.9, 0.05, 0.05], "meh": [0.3, 0.4, 0.3]}
        return [table[t] for t in texts]


def test_pseudo_examples_are_the_teachers_answers() -> None:
    texts = ["great", "meh", "awful", "great", "awful", "awful"]
    got = pseudo_examples(Teacher(), texts, 4)  # type: ignore[arg-type]
    # 2 of 3 negative (the earliest of equals), 1 neutral, 1 positive: rows 1, 2, 0, 4.
    assert [(e.text, e.label) for e in got] == [
        ("great", "positive"),
        ("meh", "neutral"),
        ("awful", "negative"),
        ("awful", "negative"),
    ]
    assert pseudo_examples(Teacher(), [], 3) == []  # type: ignore[arg-type]
