"""The labelling budget: the inflow follows the annotators' capacity, the most uncertain
cases win within it, a random share stays random, and the caps hold."""

from __future__ import annotations

import random

from services.routing.budget import (
    BudgetPolicy,
    PriorityWindow,
    admit,
    affordable_share,
)


def _stream(policy: BudgetPolicy, n: int, rate_per_s: float, threshold: float = 0.0):  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    window = PriorityWindow(policy.window)
    out = []
    for i in range(n):
        score = rng.random()
        window.add(i / rate_per_s, score)
        out.append((score, admit(policy, window, f"e{i}", score, threshold, 0, 0)))
    return out


def test_no_budget_routes_everything_over_the_threshold() -> None:
    out = _stream(BudgetPolicy(), 500, 10.0, threshold=0.7)
    assert all((a.sample == "routed") == (s >= 0.7) for s, a in out)


def test_a_burst_is_cut_to_the_budget_and_the_most_uncertain_win() -> None:
    # 10 events/s against 360 tasks/hour (0.1/s): about 1% of the traffic is affordable.
    policy = BudgetPolicy(per_hour=360, window=200)
    out = _stream(policy, 3000, 10.0)
    settled = [s for s, a in out[policy.window :] if a.sample == "routed"]
    assert 14 <= len(settled) <= 42, len(settled)  # ~28 = 2800 x 1%
    assert min(settled) > 0.95, "only the top of the window is taken"
    # While the window fills (200 events, 20 s here) the ranking is coarser; still few.
    assert sum(a.sample == "routed" for _, a in out[: policy.window]) <= 30
    assert {a.reason for _, a in out if a.sample is None} == {"outranked"}


def test_the_random_share_is_random_and_of_the_routed_size() -> None:
    policy = BudgetPolicy(per_hour=3600, random_share=0.25, window=200)  # 1/s of 10/s
    out = _stream(policy, 4000, 10.0)
    randoms = [s for s, a in out if a.sample == "random"]
    routed = [s for s, a in out if a.sample == "routed"]
    share = len(randoms) / (len(randoms) + len(routed))
    assert 0.15 <= share <= 0.35, share
    assert sum(randoms) / len(randoms) < 0.7, "random picks are not the uncertain ones"
    assert min(s for s, a in out[policy.window :] if a.sample == "routed") > 0.85


def test_routed_and_random_together_keep_to_the_budget() -> None:
    """At 1 event/s against 360 tasks/hour a tenth of traffic is affordable: routed and
    random picks share that tenth (random picks came on top of it: 0.1045, a quarter of
    them random at a random share of 0.2)."""
    policy = BudgetPolicy(per_hour=360, random_share=0.2, window=500)
    out = _stream(policy, 20000, 1.0)[policy.window :]
    sent = [a.sample for _, a in out if a.sample]
    assert abs(len(sent) / len(out) - 0.10) < 0.006, len(sent) / len(out)
    assert abs(sent.count("random") / len(sent) - 0.2) < 0.025


def test_caps() -> None:
    policy = BudgetPolicy(per_hour=100, open_cap=5)
    window = PriorityWindow(10)
    window.add(0.0, 0.9)
    assert admit(policy, window, "e", 0.9, 0.0, 0, 4).sample == "routed"
    assert admit(policy, window, "e", 0.9, 0.0, 0, 5).reason == "open_cap"
    assert admit(policy, window, "e", 0.9, 0.0, 100, 0).reason == "hour_cap"
    assert admit(policy, window, "e", 0.1, 0.5, 0, 0).reason == "below_threshold"


def test_window_evicts_in_order_and_ranks() -> None:
    w = PriorityWindow(3)
    for t, s in enumerate([0.1, 0.5, 0.9, 0.3]):
        w.add(float(t), s)
    assert len(w) == 3
    assert w.share_above(0.4) == 2 / 3  # 0.5 and 0.9 remain; 0.1 left
    assert PriorityWindow(10).share_above(0.5) == 0.0
    assert w.share_at_least(0.3) == 1.0
    assert w.rate_per_s() == 1.0


def test_affordable_share() -> None:
    assert affordable_share(0, 5.0) == 1.0
    assert affordable_share(3600, 0.5) == 1.0
    assert affordable_share(360, 1.0) == 0.1


def test_route_replicas_together_admit_what_one_router_would() -> None:
    # 10 events/s against 360 tasks/hour: ~1% affordable. Two replicas each see every other
    # event (half the partitions) at 5/s; told so, they admit ~1% of their half each.
    policy = BudgetPolicy(per_hour=360, window=200)
    rng = random.Random(5)
    events = [(i / 10.0, rng.random()) for i in range(20000)]
    one = PriorityWindow(policy.window)
    halves = [PriorityWindow(policy.window), PriorityWindow(policy.window)]
    single = together = naive = 0
    for i, (at, score) in enumerate(events):
        one.add(at, score)
        half = halves[i % 2]
        half.add(at, score)
        if i < 2 * policy.window:
            continue  # every window full: while they fill the ranking is coarser
        single += admit(policy, one, f"e{i}", score, 0.0, 0, 0).sample is not None
        together += admit(policy, half, f"e{i}", score, 0.0, 0, 0, 0.5).sample is not None
        naive += admit(policy, half, f"e{i}", score, 0.0, 0, 0).sample is not None
    expected = 0.01 * (len(events) - 2 * policy.window)  # ~196; the counts' sd is ~14
    assert abs(single - expected) <= 0.25 * expected, (single, together, naive)
    assert abs(together - expected) <= 0.25 * expected, (together, expected)
    # Without the share each replica spends the budget as if it were alone: twice over.
    assert naive > 1.6 * expected, (naive, expected)
