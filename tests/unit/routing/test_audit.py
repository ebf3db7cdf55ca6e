"""Audit selection: deterministic by event id, uniform at the configured share, a floor."""

from __future__ import annotations

from services.routing.audit import AuditPolicy, audit_draw
from services.routing.router import Router
from services.routing.strategies import LeastConfidence


def test_share_is_uniform_and_deterministic() -> None:
    policy = AuditPolicy(0.1)
    ids = [f"ev-{i}" for i in range(20_000)]
    picked = [i for i in ids if policy.sampled(i)]
    assert 0.09 < len(picked) / len(ids) < 0.11
    assert picked == [i for i in ids if AuditPolicy(0.1).sampled(i)]
    assert all(0.0 <= audit_draw(i) < 1.0 for i in ids[:100])
    assert not any(AuditPolicy(0.0).sampled(i) for i in ids[:1000])


def test_floor_takes_events_until_the_hour_has_enough() -> None:
    policy = AuditPolicy(0.0, floor_per_hour=2)
    assert policy.decide("x", audited_this_hour=0) and policy.decide("x", audited_this_hour=1)
    assert not policy.decide("x", audited_this_hour=2)


def test_an_audit_is_reviewed_whatever_the_confidence_and_marked() -> None:
    router = Router(LeastConfidence(), 0.5, {})
    sure = {"event_id": "e", "channel": "chat", "key": "k", "text": "t", "label": "a",
            "probs": {"a": 0.99, "b": 0.01}, "confidence": 0.99, "model_version": 1}  # fmt: skip
    assert router.route(sure, "now") is None
    review = router.route(sure, "now", audit=True)
    assert review is not None and review["sample"] == "audit"
    unsure = {**sure, "probs": {"a": 0.5, "b": 0.5}}
    assert (router.route(unsure, "now") or {}).get("sample") == "routed"
