import math

from services.inference.finite import sanitize
from services.routing.router import Router
from services.routing.strategies import Margin


def test_non_finite_rows_become_uniform_and_are_flagged() -> None:
    rows, bad = sanitize([[0.9, 0.1], [math.nan, math.nan], [math.inf, 0.0]])
    assert rows == [[0.9, 0.1], [0.5, 0.5], [0.5, 0.5]] and bad == [False, True, True]
    # Uniform is as uncertain as it gets: routed whatever the threshold.
    pred = {"event_id": "e", "channel": "chat", "key": "k", "text": "t", "label": "a",
            "probs": {"a": 0.5, "b": 0.5}, "confidence": 0.5, "model_version": 2}  # fmt: skip
    review = Router(Margin(), 0.99, {}).route(pred, "now")
    assert review is not None and review["score"] == 1.0
