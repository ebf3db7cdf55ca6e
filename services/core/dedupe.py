"""Redis-backed "seen this id before?" check shared by the idempotent stages."""

from __future__ import annotations

from redis.asyncio import Redis


class Deduper:
    """``first_time(scope, id, token)`` is True the first time an id is seen, and again for a
    redelivery of the *same* message (same token = topic:partition:offset), so a crash between
    marking and committing never loses the event; another message with that id is a duplicate.
    """

    def __init__(self, redis: Redis, prefix: str, ttl_s: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_s = ttl_s

    def key(self, scope: str, item_id: str) -> str:
        return f"{self.prefix}dedupe:{scope}:{item_id}"

    async def first_time(self, scope: str, item_id: str, token: str) -> bool:
        key = self.key(scope, item_id)
        if await self.redis.set(key, token, nx=True, ex=self.ttl_s):
            return True
        stored = await self.redis.get(key)
        if isinstance(stored, bytes):
            stored = stored.decode()
        return stored is None or stored == token
