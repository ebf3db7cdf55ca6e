"""Which events are audit samples (never trained on): a Redis hash event id -> channel,
written by the route agent before it sends the review, read by the trainer."""

from __future__ import annotations

from redis import Redis


def audit_key(prefix: str) -> str:
    return f"{prefix}audit:events"


def audit_hour_key(prefix: str, channel: str, hour: int) -> str:
    """Audits sent for one channel in one hour (the floor's counter)."""
    return f"{prefix}audit:count:{channel}:{hour}"


class AuditSet:
    def __init__(self, client: Redis, prefix: str) -> None:
        self.r = client
        self.key = audit_key(prefix)

    def members(self) -> dict[str, str]:
        """Audited event id -> channel."""
        return {str(k): str(v) for k, v in self.r.hgetall(self.key).items()}

    def add(self, event_id: str, channel: str) -> None:
        self.r.hset(self.key, event_id, channel)
