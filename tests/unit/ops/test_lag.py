"""Lag arithmetic and the stuck-consumer rule."""

from __future__ import annotations

from services.ops.lag import (
    LagSample,
    PartitionLag,
    group_committed,
    group_lag,
    partition_lag,
    past_end,
    rate,
    stalled_groups,
    stuck_groups,
)


def test_lag_is_end_minus_committed_never_negative() -> None:
    assert partition_lag(120, 100) == 20
    assert partition_lag(100, 100) == 0
    assert partition_lag(50, 80) == 50  # records lost: all of the log, not -30 or 0
    assert past_end(50, 80) and not past_end(80, 80) and not past_end(50, None)
    assert partition_lag(40, None) == 40  # nothing committed: the whole log is to do
    assert partition_lag(0, None) == 0


def test_groups_sum_their_partitions() -> None:
    rows = [
        PartitionLag("g-normalize", "channel.chat.v1", 0, 10, 4),
        PartitionLag("g-normalize", "channel.ads.v1", 1, 7, None),
        PartitionLag("g-classify", "interactions.v1", 0, 30, 30),
    ]
    assert group_lag(rows) == {"g-normalize": 13, "g-classify": 0}
    assert group_committed(rows) == {"g-normalize": 4, "g-classify": 30}


def _s(at: float, lag: int, committed: int) -> LagSample:
    return LagSample(at, {"g": lag}, {"g": committed})


def test_stuck_means_lag_grew_while_nothing_was_committed() -> None:
    assert stuck_groups([_s(0, 5, 100), _s(20, 50, 100), _s(40, 90, 100)]) == ["g"]
    # Behind but moving: not stuck.
    assert stuck_groups([_s(0, 5, 100), _s(40, 90, 160)]) == []
    # Idle, nothing to do: not stuck.
    assert stuck_groups([_s(0, 0, 100), _s(40, 0, 100)]) == []
    # Lag went down: not stuck.
    assert stuck_groups([_s(0, 90, 100), _s(40, 50, 100)]) == []
    # Too short a window to say.
    assert stuck_groups([_s(0, 5, 100), _s(10, 90, 100)]) == []
    assert stuck_groups([_s(0, 5, 100)]) == []


def test_stalled_means_records_waited_the_whole_span_with_no_commit() -> None:
    # A worker wedged after the last event of a burst: the lag stays, nothing is committed.
    wedged = [_s(0, 40, 100), _s(60, 40, 100), _s(120, 40, 100)]
    assert stalled_groups(wedged, 120) == ["g"]
    assert stuck_groups(wedged) == []  # the console's rule wants the lag to grow
    assert stalled_groups([*wedged, _s(130, 40, 100)], 120) == ["g"]
    # Not yet a whole span of evidence.
    assert stalled_groups(wedged[:2], 120) == []
    assert stalled_groups([], 120) == []
    # A commit inside the span: moving, however slowly.
    assert stalled_groups([_s(0, 40, 100), _s(60, 39, 101), _s(120, 39, 101)], 120) == []
    # Caught up at one sample in the span (idle, then new records): not stalled.
    assert stalled_groups([_s(0, 40, 100), _s(60, 0, 140), _s(120, 5, 140)], 120) == []
    assert stalled_groups([_s(0, 0, 100), _s(60, 5, 100), _s(120, 5, 100)], 120) == []
    # Only the last span counts: an old stall that ended is forgotten.
    old = [_s(0, 40, 100), _s(100, 40, 100), _s(200, 0, 140), _s(320, 0, 140)]
    assert stalled_groups(old, 120) == []


def test_rate_of_a_counter() -> None:
    assert rate([(0.0, 100), (10.0, 150)]) == 5.0
    assert rate([(0.0, 100), (5.0, 120), (10.0, 150)]) == 5.0
    assert rate([(0.0, 100)]) == 0.0
    assert rate([(0.0, 100), (10.0, 20)]) == 0.0  # reset: the process restarted
