"""Consumer lag arithmetic and the stuck-consumer rule. Pure logic: the offsets come from
``ops.offsets``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    end: int  # log end offset (the high watermark of a real fetch)
    committed: int | None  # None: the group has committed nothing on this partition yet

    @property
    def lag(self) -> int:
        return partition_lag(self.end, self.committed)


def partition_lag(end: int, committed: int | None) -> int:
    """Records the group has still to process. Nothing committed means the whole log (the
    workers start from the earliest offset); a committed offset past the end counts as
    none (``past_end``), not as negative or zero."""
    if committed is None or committed < 0 or past_end(end, committed):
        return max(0, end)
    return end - committed


def past_end(end: int, committed: int | None) -> bool:
    """A committed offset beyond the log's end: the broker lost records the group had
    processed (a recreated topic, or storage that lost writes). The group reads nothing new
    on that partition until the log passes its offset, so it is all lag, not none: shown as
    0 it hid a classify group that predicted nothing for an hour (a failure trial)."""
    return committed is not None and committed > end


def group_lag(rows: Iterable[PartitionLag]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r.group] = out.get(r.group, 0) + r.lag
    return out


def group_committed(rows: Iterable[PartitionLag]) -> dict[str, int]:
    """Sum of committed offsets per group: it grows exactly when the group makes progress."""
    out: dict[str, int] = {}
    for r in rows:
        out[r.group] = out.get(r.group, 0) + max(0, r.committed or 0)
    return out


@dataclass(frozen=True)
class LagSample:
    at: float  # seconds (epoch)
    lag: dict[str, int]  # group -> records behind
    committed: dict[str, int]  # group -> sum of committed offsets


def stuck_groups(samples: Sequence[LagSample], min_span_s: float = 30.0) -> list[str]:
    """Groups whose lag grew while they processed nothing, over samples spanning at least
    ``min_span_s``: a stuck consumer (dead, wedged, or rebalancing forever). A group that is
    merely behind but moving, or idle with no lag, is not stuck."""
    if len(samples) < 2 or samples[-1].at - samples[0].at < min_span_s:
        return []
    first, last = samples[0], samples[-1]
    out = []
    for group, lag in last.lag.items():
        grew = lag > first.lag.get(group, 0) and lag > 0
        moved = last.committed.get(group, 0) != first.committed.get(group, 0)
        if grew and not moved:
            out.append(group)
    return sorted(out)


def rate(samples: Sequence[tuple[float, int]]) -> float:
    """Per-second rate of a counter from (time, value) samples; 0 for fewer than two or a
    reset (a counter that went down restarted with its process)."""
    if len(samples) < 2:
        return 0.0
    (t0, v0), (t1, v1) = samples[0], samples[-1]
    if t1 <= t0 or v1 < v0:
        return 0.0
    return (v1 - v0) / (t1 - t0)


def stalled_groups(samples: Sequence[LagSample], span_s: float) -> list[str]:
    """Groups with records waiting at every sample of the last ``span_s`` and no commit in
    that time: wedged, even with no new records arriving (``stuck_groups`` needs the lag to
    grow, so it misses a worker that wedged after the last event of a burst). Needs samples
    covering the whole span."""
    if not samples:
        return []
    last = samples[-1]
    starts = [s for s in samples if s.at <= last.at - span_s]
    if not starts:
        return []
    window = [s for s in samples if s.at >= starts[-1].at]
    out = []
    for group in last.lag:
        waiting = all(s.lag.get(group, 0) > 0 for s in window)
        still = len({s.committed.get(group, 0) for s in window}) == 1
        if waiting and still:
            out.append(group)
    return sorted(out)


def channel_ends(
    rows: Iterable[PartitionLag], channel_of: Callable[[str], str | None]
) -> dict[str, int]:
    """Each channel's raw-topic end offsets summed, read once (by the normalize group)."""
    ends: dict[str, int] = {}
    for r in rows:
        ch = channel_of(r.topic)
        if ch is not None and r.group.endswith("-normalize"):
            ends[ch] = ends.get(ch, 0) + r.end
    return ends
