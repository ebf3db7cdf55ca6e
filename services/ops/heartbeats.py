"""Worker heartbeats: what `eddy up`, `eddy status`, the console, the demo and tests read to
know who is alive. Each process writes ``<prefix>workers:<role>:<host>:<pid>`` every 2 s with
a 15 s TTL, so every replica of a role is seen on its own, and adds that key's name to the
set ``<prefix>workers`` where readers find it (services/core/heartbeat.py)."""

from __future__ import annotations

import json
from typing import Any

import redis as redis_sync

from services.core.heartbeat import heartbeat_index
from services.core.settings import RedisSettings


def replicas(redis: RedisSettings) -> list[dict[str, Any]]:
    """Every live replica's latest heartbeat, by role, host and pid."""
    client = redis_sync.Redis.from_url(
        redis.url, decode_responses=True, socket_timeout=2, **redis.auth
    )
    try:
        index = heartbeat_index(redis.prefix)
        names = list(client.smembers(index))  # type: ignore[arg-type]
        values = client.mget(names) if names else []
        out, gone = [], []
        for name, raw in zip(names, values, strict=True):  # type: ignore[arg-type]
            if raw:
                out.append(json.loads(raw))
            else:
                gone.append(name)  # its key expired: the process stopped beating
        if gone:
            client.srem(index, *gone)
        return sorted(out, key=lambda b: (str(b["role"]), str(b.get("host")), int(b["pid"])))
    finally:
        client.close()


def by_role(beats: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for beat in beats:
        out.setdefault(str(beat["role"]), []).append(beat)
    return out


def workers_alive(redis: RedisSettings) -> dict[str, dict[str, Any]]:
    """One live heartbeat per worker role (`eddy up` waits for each role)."""
    return {role: beats[0] for role, beats in by_role(replicas(redis)).items()}
