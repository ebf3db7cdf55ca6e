"""The demo report's view per channel: labels spent by arm (routed by uncertainty, random from
the budget, audit), accuracy gained, and how often the bootstrap model was wrong on the cases
each arm sent (routing earns its keep when its cases are the model's mistakes)."""

from __future__ import annotations

import json
from typing import Any

from redis import Redis

from services.core.settings import CHANNELS, Settings
from services.labels.audit import AuditSet
from services.labels.queue import ReviewQueue
from services.labels.store import LabelStore
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.train import predict_labels
from services.registry.open import open_registry
from services.training.examples import Example


def _accuracy(pred: list[str], gold: list[str]) -> float | None:
    return (
        round(sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold), 4) if gold else None
    )


def channel_report(s: Settings, redis: Redis, held_out: list[Example]) -> dict[str, Any]:
    registry = open_registry(s.stack)
    champion = registry.champion_version()
    placement = select_placement(s.model.device, s.model.precision)

    def model(v: int) -> TextClassifier:
        return TextClassifier.load(registry.get(v).path, placement, version=v)

    first = model(1)
    last = model(champion) if champion and champion != 1 else first
    store = LabelStore(redis, s.redis.prefix)
    audit = AuditSet(redis, s.redis.prefix).members()
    randoms = ReviewQueue(redis, s.redis.prefix).random_picks()
    examples = [json.loads(v) for v in redis.hvals(f"{s.redis.prefix}labels:examples")]
    labelled = [e for e in examples if e.get("label")]
    texts = [e["text"] for e in labelled]
    v1_said = predict_labels(first, texts) if texts else []
    # The held-out set is split across channels in the stream's rotation (chat, crm, ads).
    held = {ch: [e for i, e in enumerate(held_out) if CHANNELS[i % 3] == ch] for ch in CHANNELS}
    out: dict[str, Any] = {}
    for ch in CHANNELS:
        arms: dict[str, dict[str, Any]] = {}
        for e, said in zip(labelled, v1_said, strict=True):
            if e.get("channel") != ch:
                continue
            arm = "audit" if e["event_id"] in audit else (
                "random" if e["event_id"] in randoms else "routed"
            )  # fmt: skip
            a = arms.setdefault(arm, {"labels": 0, "v1_wrong": 0})
            a["labels"] += 1
            a["v1_wrong"] += said != e["label"]
        for a in arms.values():
            a["v1_error_rate"] = round(a["v1_wrong"] / a["labels"], 4)
        gold = [e.label for e in held[ch]]
        ht = [e.text for e in held[ch]]
        out[ch] = {
            "labels": sum(a["labels"] for a in arms.values()),
            "arms": arms,
            "held_out": len(gold),
            "accuracy_v1": _accuracy(predict_labels(first, ht), gold) if ht else None,
            "accuracy_champion": _accuracy(predict_labels(last, ht), gold) if ht else None,
            "champion": champion,
        }
    out["propagated_labels"] = len(store.propagated())
    return out
