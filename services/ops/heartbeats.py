"""Worker heartbeats: what `eddy up`, `eddy status`, the demo and tests read to know who is
alive. Each process writes ``<prefix>workers:<role>:<host>:<pid>`` every 2 s with a 15 s TTL."""

from __future__ import annotations

import json
from typing import Any

import redis as redis_sync

from services.core.settings import RedisSettings


def workers_alive(redis: RedisSettings) -> dict[str, dict[str, Any]]:
    """Latest heartbeat per worker role (from Redis)."""
    client = redis_sync.Redis.from_url(
        redis.url, decode_responses=True, socket_timeout=2, **redis.auth
    )
    try:
        out: dict[str, dict[str, Any]] = {}
        for key in client.scan_iter(f"{redis.prefix}workers:*", count=100):
            raw = client.get(key)
            if raw:
                beat = json.loads(raw)
                out.setdefault(str(beat["role"]), beat)
        return out
    finally:
        client.close()
