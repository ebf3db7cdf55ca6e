"""Retry transient infrastructure errors (Redis, broker) instead of crashing a worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

T = TypeVar("T")
log = logging.getLogger("eddy.retry")
TRANSIENT: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)


async def retry_forever(
    op: Callable[[], Awaitable[T]], what: str, *, first_delay: float = 0.2, max_delay: float = 10.0
) -> T:
    """Run ``op`` until it succeeds, backing off on transient errors. Waiting keeps the event
    uncommitted, so nothing is lost while a dependency is down."""
    delay = first_delay
    attempt = 0
    while True:
        try:
            return await op()
        except TRANSIENT as exc:
            attempt += 1
            log.warning(
                "%s failed (attempt %d, %s); retrying in %.1fs",
                what,
                attempt,
                type(exc).__name__,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(max_delay, delay * 2)
