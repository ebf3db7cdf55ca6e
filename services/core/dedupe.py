"""Redis-backed "seen this id before?" check shared by the idempotent stages."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

FIRST, DUPLICATE, CONFLICT = "first", "duplicate", "conflict"


def verdict(stored: str | None, token: str) -> str:
    """FIRST for an id not seen (or this very message again), else DUPLICATE, or CONFLICT
    when both tokens carry a content digest ("topic:p:o:ts#digest") and the digests differ:
    the same id with other content, which is a producer's bug, not a retry."""
    if stored is None or stored == token:
        return FIRST
    mine, theirs = token.partition("#")[2], stored.partition("#")[2]
    return CONFLICT if mine and theirs and mine != theirs else DUPLICATE


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

    async def first_times(self, items: Sequence[tuple[str, str, str]]) -> list[bool]:
        """``first_time`` for a batch of (scope, id, token) in two round trips instead of one
        or two per item. Items are marked in order, so a second copy of an id later in the
        same batch is a duplicate, as it would be one by one."""
        return [v == FIRST for v in await self.verdicts(items)]

    async def verdicts(self, items: Sequence[tuple[str, str, str]]) -> list[str]:
        """``verdict`` of each (scope, id, token), in the round trips of ``first_times``."""
        if not items:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for scope, item_id, token in items:
                pipe.set(self.key(scope, item_id), token, nx=True, ex=self.ttl_s)
            marked = await pipe.execute()
        taken = [i for i, ok in enumerate(marked) if not ok]
        if not taken:
            return [FIRST] * len(items)
        async with self.redis.pipeline(transaction=False) as pipe:
            for i in taken:
                scope, item_id, _ = items[i]
                pipe.get(self.key(scope, item_id))
            stored = await pipe.execute()
        result = [FIRST] * len(items)
        for i, got in zip(taken, stored, strict=True):
            if isinstance(got, bytes):
                got = got.decode()
            result[i] = verdict(got, items[i][2])
        return result
