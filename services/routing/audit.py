"""The audit sample: a uniformly random share of all traffic, per channel, that annotators
label exactly like routed cases and that is never trained on. Pure logic.

Routed cases are the hard ones by design, so judging models on them misleads; audit cases
look like traffic. They are the gate's holdout, the one evaluation set every version is
scored on, and the live estimate of the champion's accuracy.

Selection is deterministic by event id (a replayed event makes the same decision), a floor
per channel and hour keeps quiet channels audited too, and a ceiling per channel and hour
keeps a busy channel's audits within what annotators can label: the share of 15 events a
second is over 4,000 audits an hour, which also filled the open-task cap and so stopped the
routed cases the model learns from (a soak trial: training stalled within 35 minutes).
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

    def sampled(self, event_id: str) -> bool:
        """In the uniform sample (the share)."""
        return self.share > 0 and audit_draw(event_id) < self.share

    def decide(self, event_id: str, audited_this_hour: int) -> bool:
        """Audit this event? The share decides; below the hour's floor, every event is taken;
        at the hour's ceiling, none (the sample is then the share's picks until the ceiling,
        each hour: still random within the hour, spread over every hour)."""
        if self.max_per_hour and audited_this_hour >= self.max_per_hour:
            return False
        return self.sampled(event_id) or audited_this_hour < self.floor_per_hour


def hour_bucket(epoch_s: float) -> int:
    return int(epoch_s // 3600)
