import pytest

from services.model.metrics import compute_metrics


def test_metrics() -> None:
    m = compute_metrics(["a", "a", "b", "c"], ["a", "b", "b", "a"], ["a", "b", "c"])
    assert m.accuracy == 0.5
    assert m.per_class["a"].precision == 0.5 and m.per_class["a"].recall == 0.5
    assert m.per_class["b"].f1 == pytest.approx(0.6667, abs=1e-4)
    assert m.per_class["c"].support == 1 and m.per_class["c"].f1 == 0.0
    assert m.macro_f1 == pytest.approx((0.5 + 0.6667 + 0.0) / 3, abs=1e-3)
