"""Routing strategies; ``make_strategy`` builds one by its settings name."""

from services.routing.strategies.base import Strategy
from services.routing.strategies.entropy import Entropy
from services.routing.strategies.least_confidence import LeastConfidence
from services.routing.strategies.margin import Margin
from services.routing.strategies.random_sample import RandomSample

STRATEGY_NAMES = ("least_confidence", "margin", "entropy", "random")


def make_strategy(name: str, seed: int = 0) -> Strategy:
    if name == "least_confidence":
        return LeastConfidence()
    if name == "margin":
        return Margin()
    if name == "entropy":
        return Entropy()
    if name == "random":
        return RandomSample(seed)
    raise ValueError(f"unknown routing strategy {name!r}; choose one of {STRATEGY_NAMES}")


__all__ = [
    "STRATEGY_NAMES",
    "Entropy",
    "LeastConfidence",
    "Margin",
    "RandomSample",
    "Strategy",
    "make_strategy",
]
