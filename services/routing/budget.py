"""The labelling budget: annotators' capacity, not the threshold, sets the inflow. Pure logic.

Per channel, at most ``per_hour`` tasks an hour and ``open_cap`` tasks open at once. Within
that, a *priority window* keeps the most informative cases: the router remembers the last
``window`` uncertainty scores of the channel, estimates the channel's event rate from their
arrival times, and takes a case only when its score ranks within the share of traffic the
hourly budget can pay for (the budget spread evenly over the hour instead of spent on the
first cases over the threshold). A ``random_share`` of what is routed is drawn uniformly,
whatever the score, and marked ``sample: "random"``, so what routing gains over random stays
measurable in production.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

from services.routing.audit import audit_draw


@dataclass(frozen=True)
class BudgetPolicy:
    per_hour: int = 0  # tasks per channel and hour; 0 = no cap (the threshold alone decides)
    open_cap: int = 0  # open tasks per channel; 0 = no cap
    random_share: float = 0.0  # of the routed cases, drawn at random
    window: int = 500  # scores remembered per channel


class PriorityWindow:
    """The recent scores of one channel, with their arrival times (seconds)."""

    def __init__(self, size: int) -> None:
        self._arrivals: deque[tuple[float, float]] = deque(maxlen=max(2, size))
        self._sorted: list[float] = []

    def add(self, at: float, score: float) -> None:
        if len(self._arrivals) == self._arrivals.maxlen:
            _, old = self._arrivals[0]
            del self._sorted[bisect.bisect_left(self._sorted, old)]
        self._arrivals.append((at, score))
        bisect.insort(self._sorted, score)

    def __len__(self) -> int:
        return len(self._arrivals)

    def rate_per_s(self) -> float:
        """Events per second over the window (0 until two events an instant apart)."""
        if len(self._arrivals) < 2:
            return 0.0
        span = self._arrivals[-1][0] - self._arrivals[0][0]
        return (len(self._arrivals) - 1) / span if span > 0 else float("inf")

    def share_above(self, score: float) -> float:
        """Share of a full window scoring strictly higher (0: the most uncertain seen). Over
        the full size even while it fills: a fresh window (after a restart) admits only what
        would rank in a full one, not every early case."""
        above = len(self._sorted) - bisect.bisect_right(self._sorted, score)
        return above / (self._arrivals.maxlen or 1)

    def share_at_least(self, threshold: float) -> float:
        if not self._sorted:
            return 0.0
        return (len(self._sorted) - bisect.bisect_left(self._sorted, threshold)) / len(self._sorted)


def affordable_share(per_hour: int, rate_per_s: float) -> float:
    """The share of a channel's traffic its hourly budget pays for (1: all of it)."""
    if per_hour <= 0 or rate_per_s <= 0:
        return 1.0
    return min(1.0, per_hour / 3600.0 / rate_per_s)


@dataclass(frozen=True)
class Admission:
    sample: str | None  # "routed", "random" or None (not sent)
    reason: str  # why: routed, random, below_threshold, outranked, hour_cap, open_cap


def admit(
    policy: BudgetPolicy,
    window: PriorityWindow,
    event_id: str,
    score: float,
    threshold: float,
    routed_this_hour: int,
    open_now: int,
    traffic_share: float = 1.0,
) -> Admission:
    """Send this case to annotators? ``window`` must already hold ``score``.
    ``traffic_share``: the part of the channel's traffic this router sees (a route replica
    holding half the partitions sees half): its window's rate is scaled up by it, so N
    replicas together admit what one would, not N times the affordable share."""
    rate = window.rate_per_s() / traffic_share if traffic_share > 0 else window.rate_per_s()
    affordable = affordable_share(policy.per_hour, rate)
    # What routing takes: the unsure share, at most the budget less the random picks' part.
    routed = min(affordable * (1 - policy.random_share), window.share_at_least(threshold))
    # Random picks take random_share of what is sent, routed and random together: a rate over
    # all traffic. (From the whole affordable share they overspent the budget by a quarter
    # at a random share of 0.2, and the hour cap cut the end of each hour.)
    random_rate = 0.0
    if policy.random_share > 0:
        random_rate = min(1.0, routed * policy.random_share / (1 - policy.random_share))
    if random_rate and audit_draw(event_id, "random") < random_rate:
        wanted = Admission("random", "random")
    elif score < threshold:
        return Admission(None, "below_threshold")
    elif window.share_above(score) >= affordable * (1 - policy.random_share):
        return Admission(None, "outranked")
    else:
        wanted = Admission("routed", "routed")
    if policy.open_cap and open_now >= policy.open_cap:
        return Admission(None, "open_cap")
    if policy.per_hour and routed_this_hour >= policy.per_hour:
        return Admission(None, "hour_cap")
    return wanted
