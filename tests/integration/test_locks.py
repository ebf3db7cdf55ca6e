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
