"""Which events are audit samples (never trained on): a Redis hash event id -> channel,
written by the route agent before it sends the review, read by the trainer. The ones the
hourly floor took (not the share) are also in a set of their own: a quiet channel's floor
takes most of its traffic, so pooled with the share's picks they would over-weight it in the
all-channel estimate."""

from __future__ import annotations

from redis import Redis


def audit_key(prefix: str) -> str:
    return f"{prefix}audit:events"


def audit_floor_key(prefix: str) -> str:
    return f"{prefix}audit:floor"


def audit_hour_key(prefix: str, channel: str, hour: int) -> str:
    """Audits sent for one channel in one hour (the floor's counter)."""
    return f"{prefix}audit:count:{channel}:{hour}"


class AuditSet:
    def __init__(self, client: Redis, prefix: str) -> None:
        self.r = client
        self.key = audit_key(prefix)
        self.floor_key = audit_floor_key(prefix)

    def members(self) -> dict[str, str]:
        """Audited event id -> channel."""
        return {str(k): str(v) for k, v in self.r.hgetall(self.key).items()}

    def floor_picks(self) -> set[str]:
        """Audited event ids the hourly floor took, not the uniform share."""
        return {str(m) for m in self.r.smembers(self.floor_key)}  # type: ignore[union-attr]

    def add(self, event_id: str, channel: str, floor: bool = False) -> None:
        if floor:
            self.r.sadd(self.floor_key, event_id)
        self.r.hset(self.key, event_id, channel)
