"""What `eddy bootstrap` tells the operator besides its scores: classes too small to learn or
judge, and a label set that differs from the champion's."""

from __future__ import annotations

from services.training.bootstrap import seed_notes
from services.training.examples import Example


def _seed(counts: dict[str, int]) -> list[Example]:
    return [Example(f"{label} {i}", label) for label, n in counts.items() for i in range(n)]


def test_a_small_class_is_named() -> None:
    data = _seed({"billing": 25, "refund": 5})
    (note,) = seed_notes(data, ["billing", "refund"], None)
    assert note.startswith("class(es) refund have fewer than 10 seed examples")


def test_a_changed_label_set_is_named_with_what_to_do() -> None:
    data = _seed({"Billing & Payments": 12, "delivery": 12, "refund": 12})
    labels = ["Billing & Payments", "delivery", "refund"]
    (note,) = seed_notes(data, labels, ["billing", "delivery"])
    assert note.startswith(
        "the label set changed (added: Billing & Payments, refund; gone: billing); README"
    )
    assert seed_notes(data, labels, list(reversed(labels))) == [], "same set, other order"
