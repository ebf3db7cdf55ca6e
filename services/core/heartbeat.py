"""Where a process's heartbeat lives in Redis: its own key with a TTL (liveness without
trusting clocks across hosts) and its key's name in one set per deployment, so readers find
every replica with SMEMBERS + MGET instead of SCANning the keyspace. A SCAN for
``workers:*`` walked every key: with the event-id dedupe keys of a week of traffic (313,000
in the development Redis) each read of the replicas took about 3,100 SCAN calls, 0.3 s of
Redis's CPU, several times a second from the console and the demo."""

from __future__ import annotations

TTL_S = 15  # a heartbeat every 2 s; a process silent for this long is gone


def heartbeat_key(prefix: str, role: str, host: str, pid: int) -> str:
    return f"{prefix}workers:{role}:{host}:{pid}"


def heartbeat_index(prefix: str) -> str:
    """The set of heartbeat key names (a name stays until a reader finds its key expired)."""
    return f"{prefix}workers"
