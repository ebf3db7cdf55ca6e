"""Routing strategies; ``make_strategy`` builds one by its settings name."""

from collections.abc import Callable

from services.core.settings import STRATEGY_NAMES
from services.routing.strategies.base import Strategy
from services.routing.strategies.entropy import Entropy
from services.routing.strategies.least_confidence import LeastConfidence
from services.routing.strategies.margin import Margin
from services.routing.strategies.random_sample import RandomSample

FACTORIES: dict[str, Callable[[int], Strategy]] = {
    "least_confidence": lambda _seed: LeastConfidence(),
    "margin": lambda _seed: Margin(),
    "entropy": lambda _seed: Entropy(),
    "random": RandomSample,
}


def make_strategy(name: str, seed: int = 0) -> Strategy:
    if name not in FACTORIES:
        raise ValueError(f"unknown routing strategy {name!r}; choose one of {STRATEGY_NAMES}")
    return FACTORIES[name](seed)


__all__ = [
    "STRATEGY_NAMES",
    "Entropy",
    "LeastConfidence",
    "Margin",
    "RandomSample",
    "Strategy",
    "make_strategy",
]
