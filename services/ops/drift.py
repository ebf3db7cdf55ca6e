"""Drift of a channel's predictions: the predicted-label mix and the confidence, the current
window against the previous one and against the champion's training data. Pure logic."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

METHOD = "Jensen-Shannon divergence (base 2) of the predicted-label mix"


def mix(labels: Sequence[str], classes: Sequence[str]) -> dict[str, float]:
    """Share of each class among ``labels`` (every class present, 0.0 when unseen)."""
    counts = Counter(labels)
    n = len(labels)
    return {c: (counts[c] / n if n else 0.0) for c in classes}


def js_divergence(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen-Shannon divergence in bits: 0 for equal mixes, 1 for disjoint ones. Symmetric
    and finite even where one side has a zero (KL alone is not)."""
    keys = set(p) | set(q)
    sp, sq = sum(p.values()), sum(q.values())
    if sp <= 0 or sq <= 0:
        return 0.0
    total = 0.0
    for k in keys:
        a, b = p.get(k, 0.0) / sp, q.get(k, 0.0) / sq
        m = (a + b) / 2
        if a > 0:
            total += a * math.log2(a / m) / 2
        if b > 0:
            total += b * math.log2(b / m) / 2
    return max(0.0, min(1.0, total))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation; None for no values."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


@dataclass(frozen=True)
class ChannelDrift:
    channel: str
    n: int
    mix: dict[str, float]
    mean_confidence: float | None
    p10_confidence: float | None
    previous_n: int
    vs_previous: float | None  # None until both windows are full
    vs_training: float | None  # None until the window is full, or the training mix is unknown
    drifting: bool
    drifting_vs: list[str]  # the comparisons that crossed the threshold: previous, training

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


def channel_drift(
    channel: str,
    current: Sequence[tuple[str, float]],
    previous: Sequence[tuple[str, float]],
    training: Mapping[str, float] | None,
    classes: Sequence[str],
    threshold: float,
    full: int,
) -> ChannelDrift:
    """``current``/``previous``: (predicted label, confidence) of the latest window and the
    one before it. A mix is compared only once its window is ``full``: two predictions of a
    quiet channel moved the divergence past the threshold on their own."""
    now = mix([label for label, _ in current], classes)
    confs = [c for _, c in current]
    judged = len(current) >= full
    vs_prev = vs_train = None
    if judged and len(previous) >= full:
        vs_prev = js_divergence(now, mix([label for label, _ in previous], classes))
    if judged and training:
        vs_train = js_divergence(now, training)
    crossed = [
        name
        for name, d in (("previous", vs_prev), ("training", vs_train))
        if d is not None and d >= threshold
    ]
    return ChannelDrift(
        channel=channel,
        n=len(current),
        mix=now,
        mean_confidence=sum(confs) / len(confs) if confs else None,
        p10_confidence=percentile(confs, 10),
        previous_n=len(previous),
        vs_previous=None if vs_prev is None else round(vs_prev, 4),
        vs_training=None if vs_train is None else round(vs_train, 4),
        drifting=bool(crossed),
        drifting_vs=crossed,
    )
