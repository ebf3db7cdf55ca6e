"""Drift arithmetic: Jensen-Shannon divergence of label mixes, confidence percentiles."""

from __future__ import annotations

import math

import pytest

from services.ops.drift import channel_drift, js_divergence, mix, percentile

CLASSES = ["negative", "neutral", "positive"]


def test_js_divergence_known_values() -> None:
    same = {"a": 0.5, "b": 0.5}
    assert js_divergence(same, same) == 0.0
    assert js_divergence({"a": 1.0}, {"b": 1.0}) == pytest.approx(1.0)  # disjoint: 1 bit
    p, q = {"a": 0.5, "b": 0.5}, {"a": 1.0, "b": 0.0}
    # JS = H(m) - (H(p) + H(q)) / 2 with m = (0.75, 0.25)
    h = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert js_divergence(p, q) == pytest.approx(h - 0.5)
    assert js_divergence(p, q) == pytest.approx(js_divergence(q, p))  # symmetric
    # Counts or shares: the same answer (normalised).
    assert js_divergence({"a": 2, "b": 2}, {"a": 4, "b": 0}) == pytest.approx(h - 0.5)
    assert js_divergence({}, same) == 0.0


def test_mix_and_percentile() -> None:
    assert mix(["a", "a", "b", "c"], ["a", "b", "c", "d"]) == {
        "a": 0.5, "b": 0.25, "c": 0.25, "d": 0.0
    }  # fmt: skip
    assert mix([], ["a"]) == {"a": 0.0}
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([0.0, 10.0], 10) == pytest.approx(1.0)
    assert percentile([], 10) is None


def test_a_channel_whose_mix_moved_is_drifting() -> None:
    before = [("negative", 0.9)] * 60 + [("positive", 0.8)] * 40
    after = [("negative", 0.6)] * 10 + [("positive", 0.55)] * 90
    d = channel_drift("chat", after, before, {"negative": 0.6, "positive": 0.4}, CLASSES, 0.1, 100)
    assert d.drifting and d.vs_previous is not None and d.vs_previous >= 0.1
    assert d.mix["positive"] == 0.9 and d.n == 100 and d.previous_n == 100
    assert d.mean_confidence == pytest.approx(0.555)
    assert d.p10_confidence == pytest.approx(0.55)
    assert d.drifting_vs == ["previous", "training"]
    steady = channel_drift("chat", before, before, None, CLASSES, 0.1, 100)
    assert not steady.drifting and steady.vs_previous == 0.0 and steady.vs_training is None
    first = channel_drift("ads", before, [], None, CLASSES, 0.1, 100)
    assert first.vs_previous is None and not first.drifting
    # Against training only: the mark goes on that comparison, not on "vs previous".
    trained = channel_drift("ads", after, [], {"negative": 0.6, "positive": 0.4}, CLASSES, 0.1, 100)
    assert trained.drifting_vs == ["training"] and trained.vs_previous is None


def test_a_window_not_yet_full_is_not_judged() -> None:
    # Two predictions of a quiet channel, both positive, were flagged against a training mix
    # of 60% negative (0.138 > 0.1) while the page said no window was full.
    two = [("positive", 0.9)] * 2
    d = channel_drift("ads", two, [], {"negative": 0.6, "positive": 0.4}, CLASSES, 0.1, 500)
    assert not d.drifting and d.vs_training is None and d.n == 2
    half = [("positive", 0.9)] * 99
    d = channel_drift("ads", half, half * 2, None, CLASSES, 0.1, 100)
    assert d.vs_previous is None and not d.drifting
