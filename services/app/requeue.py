"""Composition: after a promotion, the open Label Studio tasks re-scored by the new champion
with the routing strategy (annotation.rescore does the Label Studio side)."""

from __future__ import annotations

from collections.abc import Sequence

from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.rescore import Rescored, rescore_open_tasks
from services.core.settings import Settings
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.registry.open import open_registry
from services.routing.strategies import make_strategy


def requeue_after_promotion(
    settings: Settings, client: LabelStudioClient, redis: Redis, project_id: int
) -> Rescored | None:
    champ = open_registry(settings.stack).champion()
    if champ is None:
        return None
    strategy = make_strategy(settings.routing.strategy, settings.routing.seed)
    loaded: list[TextClassifier] = []  # at the first open task: a queue may have none

    def score(texts: Sequence[str]) -> list[tuple[float, str]]:
        if not loaded:
            loaded.append(
                TextClassifier.load(
                    champ.path,
                    select_placement(settings.model.device, settings.model.precision),
                    version=champ.version,
                    max_length=int(champ.meta.get("max_length", settings.model.max_length)),
                )
            )
        clf, out = loaded[0], []
        for probs in clf.predict_proba(list(texts)) if texts else []:
            best = max(range(len(probs)), key=probs.__getitem__)
            out.append((strategy.score(probs, ""), clf.labels[best]))
        return out

    def withdraw_below(channel: str) -> float:
        if settings.annotation.withdraw_below is not None:
            return settings.annotation.withdraw_below
        return settings.routing.threshold_for(channel)

    return rescore_open_tasks(
        client,
        redis,
        settings.redis.prefix,
        project_id,
        champ.version,
        score,
        withdraw_below,
        settings.routing.threshold_for,
        settings.annotation.suggest,
    )
