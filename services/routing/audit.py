"""The audit sample: a uniformly random share of all traffic, per channel, that annotators
label exactly like routed cases and that is never trained on. Pure logic.

Routed cases are the hard ones by design, so judging models on them misleads; audit cases
look like traffic. They are the gate's holdout, the one evaluation set every version is
scored on, and the live estimate of the champion's accuracy.

Selection is deterministic by event id (a replayed event makes the same decision while the
share is the same), a floor per channel and hour keeps quiet channels audited too, and a
ceiling per channel and hour keeps a busy channel's audits within what annotators can label:
the share of 15 events a second is over 4,000 audits an hour, which also filled the open-task
cap and so stopped the routed cases the model learns from (a soak trial: training stalled
within 35 minutes). The ceiling thins the share by the channel's rate, so the picks stay
spread over the hour (taking the share's first picks each hour would audit only its first
minutes); a count per hour stops the rest should the rate be underestimated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


def audit_draw(event_id: str, salt: str = "audit") -> float:
    """A uniform number in [0, 1) fixed by the event id."""
    digest = hashlib.sha256(f"{salt}:{event_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class AuditPolicy:
    share: float  # of all traffic, per channel
    floor_per_hour: int = 0  # audits per channel and hour, whatever the share
    max_per_hour: int = 0  # at most this many per channel and hour (0: no ceiling)

    @property
    def counted(self) -> bool:
        """Whether a decision needs the channel's audits this hour."""
        return bool(self.floor_per_hour or self.max_per_hour)

    def sampled(self, event_id: str, share: float | None = None) -> bool:
        """In the uniform sample (the share, or a thinned one)."""
        at = self.share if share is None else share
        return at > 0 and audit_draw(event_id) < at

    def thinned(self, rate_per_s: float) -> float:
        """The share a channel at this rate gets: the configured one, or less when that would
        send more than ``max_per_hour`` (its picks a subset of the full share's)."""
        if not self.max_per_hour or rate_per_s <= 0:
            return self.share
        return min(self.share, self.max_per_hour / 3600.0 / rate_per_s)

    def pooled(self, event_id: str, rate_per_s: float = 0.0) -> bool:
        """An audit the pooled estimate may count: the full share's pick at a rate the ceiling
        did not thin (a floor's pick, or a thinned channel's, stands for its channel only)."""
        return self.thinned(rate_per_s) == self.share and self.sampled(event_id)

    def decide(self, event_id: str, audited_this_hour: int, rate_per_s: float = 0.0) -> bool:
        """Audit this event? The share (thinned by the ceiling at this rate) decides; below
        the hour's floor, every event is taken; at the hour's ceiling, none."""
        if self.max_per_hour and audited_this_hour >= self.max_per_hour:
            return False
        picked = self.sampled(event_id, self.thinned(rate_per_s))
        return picked or audited_this_hour < self.floor_per_hour


def hour_bucket(epoch_s: float) -> int:
    return int(epoch_s // 3600)
