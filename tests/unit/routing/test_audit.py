"""Audit selection: deterministic by event id, uniform at the configured share, a floor and a
ceiling per channel and hour."""

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


def test_ceiling_stops_a_busy_channels_audits_for_the_rest_of_the_hour() -> None:
    # 15 events a second at 8% was over 4,000 audits an hour: more than annotators label,
    # and the open ones filled the open-task cap, so routed cases (training's) stopped.
    policy = AuditPolicy(0.08, floor_per_hour=2, max_per_hour=60)
    assert policy.counted and not AuditPolicy(0.08).counted
    ids = [f"ev-{i}" for i in range(54_000)]  # an hour at 15 events/s
    audited = 0
    for i in ids:
        if policy.decide(i, audited):
            audited += 1
    assert audited == 60
    picked = [i for i in ids if AuditPolicy(0.08).sampled(i)]
    taken = [i for i in ids if policy.decide(i, 2)]  # the floor met, the ceiling not
    assert taken == picked, "below the ceiling, the share alone decides (the same events)"
    assert not policy.decide(picked[0], audited_this_hour=60)
    # At the channel's rate the share is thinned, so the hour's picks spread over all of it
    # (the count alone took the share's first 60: the hour's first 75 seconds).
    assert policy.thinned(15.0) == 60 / 3600 / 15 and policy.thinned(0.0) == 0.08
    assert AuditPolicy(0.08, max_per_hour=600).thinned(1.0) == 0.08, "a quiet channel: the share"
    spread = [n for n, i in enumerate(ids) if policy.decide(i, 2, rate_per_s=15.0)]
    assert 40 <= len(spread) <= 80, len(spread)
    first_half = sum(n < len(ids) // 2 for n in spread)
    assert 0.3 < first_half / len(spread) < 0.7, (first_half, len(spread))
    assert set(spread) <= {n for n, i in enumerate(ids) if i in set(picked)}, "a subset"
    # No ceiling (0): the share's every pick, as before.
    assert AuditPolicy(0.08, max_per_hour=0).decide(picked[0], audited_this_hour=10_000)


def test_an_audit_is_reviewed_whatever_the_confidence_and_marked() -> None:
    router = Router(LeastConfidence(), 0.5, {})
    sure = {"event_id": "e", "channel": "chat", "key": "k", "text": "t", "label": "a",
            "probs": {"a": 0.99, "b": 0.01}, "confidence": 0.99, "model_version": 1}  # fmt: skip
    assert router.route(sure, "now") is None
    review = router.route(sure, "now", audit=True)
    assert review is not None and review["sample"] == "audit"
    unsure = {**sure, "probs": {"a": 0.5, "b": 0.5}}
    assert (router.route(unsure, "now") or {}).get("sample") == "routed"
