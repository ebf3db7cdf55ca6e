"""The review queue's bookkeeping in Redis, shared by every route replica and the label sink:
the open tasks per channel (a sorted set, event id -> uncertainty score), tasks sent per
channel and hour (the budget's counter), and which events were random picks (the random arm,
trained on like routed labels and compared with them in reports)."""

from __future__ import annotations

from redis import Redis

NEAR_DUP_TTL_S = 7 * 24 * 3600


def open_key(prefix: str, channel: str) -> str:
    return f"{prefix}queue:open:{channel}"


def budget_hour_key(prefix: str, channel: str, hour: int) -> str:
    return f"{prefix}queue:sent:{channel}:{hour}"


def random_key(prefix: str) -> str:
    return f"{prefix}queue:random"


def withdrawn_key(prefix: str) -> str:
    """Tasks a re-score withdrew: channel:event id -> "version time project"
    (annotation.retire)."""
    return f"{prefix}queue:withdrawn"


def withdrawn_value(version: int, at: float, project: int | None = None) -> str:
    return f"{version} {int(at)}" + (f" {project}" if project is not None else "")


def withdrawn_at(value: str) -> float | None:
    """When the task was withdrawn; None for an entry without a time (an older Eddy wrote the
    version alone)."""
    parts = value.split()
    try:
        return float(parts[1]) if len(parts) > 1 else None
    except ValueError:
        return None


def withdrawn_version(value: str) -> int:
    """The champion that withdrew the task (0 when the entry does not say)."""
    head = value.split()[0] if value.split() else ""
    return int(head) if head.isdecimal() else 0


def withdrawn_project(value: str) -> int | None:
    """The Label Studio project of the task; None when the entry does not say (written before
    entries kept it: the project Eddy uses now)."""
    parts = value.split()
    return int(parts[2]) if len(parts) > 2 and parts[2].isdecimal() else None


def neardup_key(prefix: str, channel: str, fingerprint: str) -> str:
    """The representative event of a near-duplicate fingerprint (the one that got a task)."""
    return f"{prefix}queue:near:{channel}:{fingerprint}"


def members_key(prefix: str, channel: str, event_id: str) -> str:
    """The near-duplicates a representative stands for: event id -> exact fingerprint."""
    return f"{prefix}queue:members:{channel}:{event_id}"


class ReviewQueue:
    def __init__(self, client: Redis, prefix: str) -> None:
        self.r = client
        self.prefix = prefix

    def open_count(self, channel: str) -> int:
        return int(self.r.zcard(open_key(self.prefix, channel)))

    def open_tasks(self, channel: str) -> list[tuple[str, float]]:
        """(event id, score), most uncertain first."""
        rows: list[tuple[str, float]] = self.r.zrevrange(  # type: ignore[assignment]
            open_key(self.prefix, channel), 0, -1, withscores=True
        )
        return [(str(row[0]), float(row[1])) for row in rows]

    def close(self, channel: str, event_id: str) -> None:
        self.r.zrem(open_key(self.prefix, channel), event_id)

    def random_picks(self) -> dict[str, str]:
        """Event id -> channel of the random arm."""
        return {str(k): str(v) for k, v in self.r.hgetall(random_key(self.prefix)).items()}
