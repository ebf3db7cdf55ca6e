"""The blocking Redis client for processes and threads outside an event loop (trainer,
webhook, CLI, demo, the Label Studio bridge's thread). Workers' async client: WorkerContext."""

from __future__ import annotations

from redis import Redis

from services.core.settings import RedisSettings


def connect(redis: RedisSettings) -> Redis:
    return Redis.from_url(
        redis.url,
        decode_responses=True,
        socket_timeout=10,
        health_check_interval=30,
        **redis.auth,
    )
