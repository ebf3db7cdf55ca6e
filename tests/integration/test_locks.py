"""The trainer lock on real Redis lives only as long as its holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

from redis import Redis

from services.core.locks import held_lock
from services.core.settings import Settings
from services.training.runs import busy, lock_holder, lock_key, running

HOLDER = """
import sys, time
from redis import Redis
from services.core.locks import held_lock
with held_lock(Redis.from_url(sys.argv[1]), sys.argv[2], ttl_s=2.0) as held:
    print("held" if held else "busy", flush=True)
    time.sleep(600)
"""


def test_lock_is_renewed_while_held_and_freed_soon_after_kill_9(
    settings: Settings, redis_server: str
) -> None:
    redis = Redis.from_url(redis_server)
    key = f"{settings.redis.prefix}lock-test:{uuid.uuid4().hex[:6]}"
    with held_lock(redis, key, ttl_s=1.0) as held:
        assert held
        time.sleep(2.5)  # longer than the TTL: the renewing thread keeps it
        with held_lock(redis, key, ttl_s=1.0) as second:
            assert not second
    with held_lock(redis, key, ttl_s=1.0) as again:
        assert again, "released on exit"

    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, redis_server, key],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with held_lock(redis, key) as taken:
            assert not taken
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed_at = time.monotonic()
        while True:
            with held_lock(redis, key) as taken:
                if taken:
                    break
            assert time.monotonic() - killed_at < 5, "a killed holder frees the lock within its TTL"
            time.sleep(0.2)
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
        redis.close()


def test_the_lock_says_who_holds_it(settings: Settings, redis_server: str) -> None:
    """The trainer's lock carries who runs since when: `eddy status`, the console and a
    busy `eddy train` name the run in progress."""
    redis = Redis.from_url(redis_server, decode_responses=True)
    prefix = f"{settings.redis.prefix}who-{uuid.uuid4().hex[:6]}:"
    assert running(redis, prefix) is None
    started = time.time()
    with held_lock(redis, lock_key(prefix), holder=lock_holder("eddy train (ops@vm)", started)):
        now = running(redis, prefix)
        assert now is not None
        assert now["by"] == "eddy train (ops@vm)" and now["since"] == started
        assert now["pid"] == os.getpid()
        # Another holder's token is its own: the second run is refused, and says why.
        with held_lock(redis, lock_key(prefix), holder=lock_holder("trainer", started)) as second:
            assert not second
        assert busy(now, started + 61).endswith("(eddy train (ops@vm), for 61 s)")
    assert running(redis, prefix) is None, "released on exit"
    # A lock taken by an older Eddy (a random token): a run by someone unknown.
    with held_lock(redis, lock_key(prefix)):
        assert running(redis, prefix) == {"by": None, "since": None, "host": None, "pid": None}
