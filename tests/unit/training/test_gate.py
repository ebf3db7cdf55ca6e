"""The promotion gate: equal or better overall and per well-supported class."""

from __future__ import annotations

from services.model.metrics import Metrics, compute_metrics
from services.training.gate import GateConfig, promote_if_better


def _metrics(gold: list[str], pred: list[str]) -> Metrics:
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
