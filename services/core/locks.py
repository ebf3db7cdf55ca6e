"""A Redis lock that lives only as long as its holder.

The lock's TTL is short (seconds) and a daemon thread renews it while the holder runs: a
holder killed with -9 frees it within the TTL, whatever step it was in (the trainer's old
300 s TTL, renewed per training step, refused training for 5 minutes after a kill).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from redis import Redis
from redis.exceptions import LockError, LockNotOwnedError, RedisError

LOCK_TTL_S = 15.0


@contextmanager
def held_lock(
    redis: Redis, key: str, ttl_s: float = LOCK_TTL_S, holder: str | None = None
) -> Iterator[bool]:
    """Yields True while the lock is held (renewed every ttl/3), False if another holds it.
    ``holder`` is the lock's value (unique to this holder): what others read to say who
    holds it; by default a random token."""
    # thread_local=False: the renewing thread must see the token the holder acquired with.
    lock = redis.lock(key, timeout=ttl_s, thread_local=False)
    if not lock.acquire(blocking=False, token=holder):
        yield False
        return
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(ttl_s / 3):
            try:
                lock.reacquire()
            except LockNotOwnedError:
                return  # expired and maybe taken by another: nothing left to renew
            except (LockError, RedisError):
                continue  # a hiccup: try again before the TTL runs out

    keeper = threading.Thread(target=renew, name=f"lock-renew:{key}", daemon=True)
    keeper.start()
    try:
        yield True
    finally:
        stop.set()
        keeper.join(timeout=ttl_s)
        with suppress(LockError, RedisError):  # expired or Redis gone: nothing left to free
            lock.release()
