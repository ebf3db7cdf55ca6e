"""Routing decision: prediction -> review request or nothing. Pure logic."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.routing.strategies import Strategy


@dataclass(frozen=True)
class Router:
    strategy: Strategy
    default_threshold: float
    thresholds: Mapping[str, float]

    def threshold_for(self, channel: str) -> float:
        return self.thresholds.get(channel, self.default_threshold)

    def score(self, prediction: Mapping[str, Any]) -> float:
        """How much ``prediction`` is worth a human's time, in [0, 1]."""
        probs = [float(p) for p in prediction["probs"].values()]
        # Probabilities that are not finite come from a broken model: the case is as uncertain
        # as it gets and goes to a human (a NaN score once compared false and routed nothing).
        finite = all(math.isfinite(p) for p in probs)
        score = self.strategy.score(probs, str(prediction["event_id"])) if finite else 1.0
        return score if math.isfinite(score) else 1.0

    def route(
        self, prediction: Mapping[str, Any], now: str, audit: bool = False
    ) -> dict[str, Any] | None:
        """The review request for ``prediction`` if it is over its channel's threshold (or is
        an audit sample, whatever its score), else None. No budget: see routing.budget."""
        score = self.score(prediction)
        if score < self.threshold_for(str(prediction["channel"])) and not audit:
            return None
        return self.review(prediction, score, now, "audit" if audit else "routed")

    def review(
        self, prediction: Mapping[str, Any], score: float, now: str, sample: str
    ) -> dict[str, Any]:
        """The review request; ``sample`` is routed, random or audit."""
        threshold = self.threshold_for(str(prediction["channel"]))
        review = {
            k: prediction[k]
            for k in (
                "event_id",
                "channel",
                "key",
                "text",
                "label",
                "probs",
                "confidence",
                "model_version",
            )
        }
        for k in ("occurred_at", "conversation_id", "metadata"):
            if k in prediction:
                review[k] = prediction[k]
        pid = str(prediction.get("prediction_id") or "")
        review.update(
            # The review id follows the prediction id (the same case routed again after a
            # redelivery keeps it); a prediction without one gets an id from the event.
            review_id=hashlib.sha256(
                f"review\x1f{pid or prediction['channel']}\x1f{prediction['event_id']}".encode()
            ).hexdigest()[:32],
            strategy=self.strategy.name,
            score=round(score, 6),
            threshold=threshold,
            routed_at=now,
            sample=sample,
        )
        return review
