import math

import pytest

from services.routing.router import Router
from services.routing.strategies import FACTORIES, LeastConfidence, make_strategy

SURE = [0.98, 0.01, 0.01]
SPLIT = [0.5, 0.49, 0.01]


def _prediction(probs: list[float], channel: str = "chat") -> dict[str, object]:
    return {
        "event_id": "e1",
        "channel": channel,
        "key": "k",
        "text": "t",
        "label": "a",
        "probs": dict(zip("abc", probs, strict=True)),
        "confidence": max(probs),
        "model_version": 3,
        "metadata": {"x": 1},
    }


def test_router_uses_per_channel_threshold() -> None:
    router = Router(LeastConfidence(), 0.5, {"ads": 0.95})
    review = router.route(_prediction(SPLIT), "2026-11-01T00:00:00Z")
    assert review is not None
    assert review["strategy"] == "least_confidence" and review["threshold"] == 0.5
    assert review["model_version"] == 3 and review["metadata"] == {"x": 1}
    assert router.route(_prediction(SPLIT, "ads"), "now") is None
    assert router.route(_prediction(SURE), "now") is None


@pytest.mark.parametrize("strategy", sorted(FACTORIES))
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_probabilities_go_to_review(strategy: str, bad: float) -> None:
    router = Router(make_strategy(strategy), 0.99, {})
    review = router.route(_prediction([bad, 0.01, 0.01]), "now")
    assert review is not None and review["score"] == 1.0
