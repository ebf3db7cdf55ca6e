"""The blocking Redis client for processes and threads outside an event loop (trainer,
webhook, CLI, demo, the Label Studio bridge's thread). Workers' async client: WorkerContext."""

from __future__ import annotations

from redis import Redis

from services.core.settings import Settings


def connect(settings: Settings) -> Redis:
    return Redis.from_url(
        settings.redis_url, decode_responses=True, socket_timeout=10, health_check_interval=30
    )
