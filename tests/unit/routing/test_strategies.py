import math

import pytest

from services.routing.strategies import (
    Entropy,
    LeastConfidence,
    Margin,
    RandomSample,
    Strategy,
    make_strategy,
)

UNIFORM = [1 / 3] * 3
SURE = [0.98, 0.01, 0.01]
SPLIT = [0.5, 0.49, 0.01]


@pytest.mark.parametrize("strategy", [LeastConfidence(), Margin(), Entropy()])
def test_uncertainty_orders_cases(strategy: Strategy) -> None:
    s = strategy.score
    assert s(UNIFORM, "a") == pytest.approx(1.0)
    assert s(SURE, "a") < 0.15
    assert 0.0 <= s(SURE, "a") < s(SPLIT, "a") <= 1.0


def test_margin_prefers_close_top_two() -> None:
    assert Margin().score(SPLIT, "x") == pytest.approx(0.99)


def test_entropy_value() -> None:
    p = [0.5, 0.5, 0.0]
    assert Entropy().score(p, "x") == pytest.approx(math.log(2) / math.log(3))


def test_random_is_deterministic_per_event_and_roughly_uniform() -> None:
    r = RandomSample(seed=7)
    assert r.score(SURE, "e1") == r.score(UNIFORM, "e1")
    scores = [r.score(SURE, f"e{i}") for i in range(2000)]
    assert 0.45 < sum(s > 0.5 for s in scores) / 2000 < 0.55


def test_make_strategy_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="unknown routing strategy"):
        make_strategy("oracle")


def test_one_strategy_per_settings_name() -> None:
    from services.core.settings import STRATEGY_NAMES
    from services.routing.strategies import FACTORIES

    assert set(FACTORIES) == set(STRATEGY_NAMES)
    for name in STRATEGY_NAMES:
        assert make_strategy(name).score([0.5, 0.5], "e1") >= 0.0
