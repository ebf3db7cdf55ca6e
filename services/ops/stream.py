"""What the console and `eddy status` say about the stream, from the records on its topics:
predictions per channel (rate, label mix, confidence, latency), the routed share, dead letters
by reason. Pure logic: ``ops.tail`` feeds it decoded records."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from services.ops.drift import percentile

RATE_SPAN_S = 60.0
# Latency percentiles read the predictions of the last 5 minutes, as the dashboard's
# rate(...[5m]): after traffic stops they go blank, not the last burst's figure forever.
LATENCY_SPAN_S = 300.0


def epoch(iso: Any) -> float | None:
    """Seconds since the epoch of an ISO-8601 timestamp (``Z`` or offset; none: UTC, as Eddy
    writes every time), or None."""
    if not isinstance(iso, str) or not iso:
        return None
    try:
        at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


class StreamWindow:
    """Bounded memory: ``window`` predictions per channel twice over (current + previous
    window for drift), the same number of routed event ids, and 2,000 latencies."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.predictions: dict[str, deque[tuple[float, str, float, str]]] = {}
        self.routed: dict[str, deque[str]] = {}
        self.samples: Counter[str] = Counter()  # review records by sample (routed/random/audit)
        self.latency_s: deque[tuple[float, float]] = deque(maxlen=2_000)  # (at, seconds)
        self.deadletters: Counter[tuple[str, str]] = Counter()
        self.deadletter_times: deque[float] = deque(maxlen=10_000)
        self.model_versions: Counter[int] = Counter()

    def add(self, kind: str, rec: Mapping[str, Any]) -> None:
        if kind == "prediction":
            self._prediction(rec)
        elif kind == "review":
            channel = str(rec.get("channel", "?"))
            sample = str(rec.get("sample") or "routed")
            self.samples[sample] += 1
            if sample == "routed":
                q = self.routed.setdefault(channel, deque(maxlen=2 * self.window))
                q.append(str(rec.get("event_id")))
        elif kind == "deadletter":
            self.deadletters[(str(rec.get("stage", "?")), str(rec.get("reason", "?")))] += 1
            at = epoch(rec.get("failed_at"))
            if at is not None:
                self.deadletter_times.append(at)

    def _prediction(self, rec: Mapping[str, Any]) -> None:
        channel = str(rec.get("channel", "?"))
        at = epoch(rec.get("predicted_at")) or 0.0
        q = self.predictions.setdefault(channel, deque(maxlen=2 * self.window))
        q.append(
            (
                at,
                str(rec.get("label")),
                float(rec.get("confidence") or 0.0),
                str(rec.get("event_id")),
            )
        )
        # Produce -> prediction where the record says when it was produced (older records:
        # from normalize's receipt).
        received = epoch(rec.get("produced_at")) or epoch(rec.get("received_at"))
        if received is not None and at >= received:
            self.latency_s.append((at, at - received))
        if isinstance(rec.get("model_version"), int):
            self.model_versions[int(rec["model_version"])] += 1

    def windows(self, channel: str) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """(current, previous) windows of (label, confidence) for drift."""
        q = list(self.predictions.get(channel, ()))
        cur, prev = q[-self.window :], q[: max(0, len(q) - self.window)]
        return [(lbl, c) for _, lbl, c, _ in cur], [(lbl, c) for _, lbl, c, _ in prev]

    def channel_stats(self, now: float) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for channel, q in sorted(self.predictions.items()):
            recent = list(q)[-self.window :]
            routed = set(self.routed.get(channel, ()))
            hits = sum(1 for _, _, _, eid in recent if eid in routed)
            in_span = sum(1 for at, *_ in q if now - at <= RATE_SPAN_S)
            out[channel] = {
                "predictions_per_s": round(in_span / RATE_SPAN_S, 3),
                "window": len(recent),
                "routed": hits,
                "routed_share": round(hits / len(recent), 4) if recent else None,
            }
        return out

    def latency(self, now: float) -> dict[str, float | None]:
        v = [s for at, s in self.latency_s if now - at <= LATENCY_SPAN_S]
        p50, p99 = percentile(v, 50), percentile(v, 99)
        return {
            "n": len(v),
            "p50_s": None if p50 is None else round(p50, 4),
            "p99_s": None if p99 is None else round(p99, 4),
        }

    def deadletter_counts(self) -> list[dict[str, Any]]:
        return [
            {"stage": stage, "reason": reason, "count": n}
            for (stage, reason), n in sorted(self.deadletters.items())
        ]


def unsure_share(decisions: Mapping[str, int]) -> tuple[float | None, int]:
    """(share, n): of a channel's routing decisions other than audit picks, the share the
    model was unsure of (everything but ``confident``), as the alert
    EddyModelRoutesNearlyEverything computes it."""
    n = sum(v for d, v in decisions.items() if d != "audit")
    unsure = sum(v for d, v in decisions.items() if d not in ("audit", "confident"))
    return (round(unsure / n, 4) if n else None), n


def decisions_since(
    before: Mapping[str, Mapping[str, int]], now: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, int]]:
    """Per channel and decision, what was counted between two samples of the route workers'
    cumulative counts; a count that went down (a restarted worker) counts from zero."""
    out: dict[str, dict[str, int]] = {}
    for channel, counts in now.items():
        old = before.get(channel, {})
        out[channel] = {
            d: (v - old.get(d, 0) if v >= old.get(d, 0) else v) for d, v in counts.items()
        }
    return out
