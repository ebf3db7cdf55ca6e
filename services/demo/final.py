"""The demo's last training run, once the stream is replayed."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress

from redis import Redis
from redis.exceptions import LockError

from services.app.wiring import label_sink, reconciler
from services.core.settings import Settings
from services.registry.rollout import ModelEvents
from services.stack.up import Stack
from services.training.evaluation import refresh
from services.training.incremental import train_once

# A first rebuild on 200 labels takes a few minutes on 2 cores; a run longer than this is
# stuck, and the demo goes on without it.
WAIT_FOR_RUN_S = 900.0


def final_training(s: Settings, redis: Redis, stack: Stack, say: Callable[[str], None]) -> None:
    """Let a run in flight finish, stop the trainer, reconcile, then train once more if at
    least half a run's worth of labels is left: a last run on a handful of labels adds little
    and risks a regression (a forced run on 12 labels once promoted a model 2 points worse).
    The trainer stops first: its own age trigger otherwise started a run on those few labels
    that the stack's stop then cut short. A run in flight is not cut short: a first rebuild
    on 200 labels, minutes of CPU, was thrown away and done again (Apple, DeflateGate). The
    demo takes the trainer's lock before stopping it, so no run starts in between."""
    events_pub = ModelEvents(s.kafka)
    last = s.override(
        trainer={"min_new_labels": max(1, s.trainer.min_new_labels // 2), "max_label_age_s": 1e9}
    )
    key = f"{s.redis.prefix}trainer:lock"
    try:
        if redis.exists(key):
            say("waiting for the training run in flight ...")
        lock = redis.lock(key, timeout=120, blocking_timeout=WAIT_FOR_RUN_S, thread_local=False)
        held = lock.acquire()
        try:
            stack.stop_child("trainer")
        finally:
            if held:
                with suppress(LockError):  # expired: nothing left to free
                    lock.release()
        reconciler(s, redis, label_sink(s, redis, with_feed=False)).run_once()
        # Should the wait have run out, the stopped trainer's lock expires within seconds.
        while train_once(last, publish=events_pub.publish).outcome == "busy":
            time.sleep(2)
        refresh(s, redis)  # every version on the final evaluation set
    finally:
        events_pub.close()
