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
from services.training.runs import RunRecord, lock_holder, lock_key

# A first rebuild on 200 labels takes a few minutes on 2 cores; a run longer than this is
# stuck, and the demo goes on without it.
WAIT_FOR_RUN_S = 900.0


def final_minimum(min_new_labels: int) -> int:
    """New labels the last run needs: a fifth of a run's worth. Seven of eight airline runs
    ended with 26-49 labels left, which half (50 of 100) would have left untrained; on them
    the last run moved the champion by +0.0, +1.6, +1.0, -1.1, +0.0, +0.7 and +0.3 points on
    1,000 held-out tweets. Below 20 a run adds little and risks a regression (a forced run
    on 12 labels once promoted a model 2 points worse)."""
    return max(1, min_new_labels // 5)


def final_outcome(run: RunRecord, minimum: int) -> str:
    """One line for the demo's output: what the last run did, or why it did not run."""
    if run.outcome in ("promoted", "rejected"):
        return (
            f"final run: v{run.challenger_version} on {run.new_labels} new label(s) "
            f"{run.outcome} ({run.recipe})"
        )
    if run.new_labels == 0:
        return "no final run: no new labels since the last run"
    if run.new_labels < minimum:
        return (
            f"no final run: {run.new_labels} new label(s) left, fewer than the {minimum} "
            "a run needs"
        )
    return f"no final run: {run.trigger}"


def final_training(
    s: Settings,
    redis: Redis,
    stack: Stack,
    say: Callable[[str], None],
    after_wait: Callable[[], None] = lambda: None,
) -> None:
    """Let a run in flight finish, stop the trainer, reconcile, then train once more if at
    least a fifth of a run's worth of labels is left (``final_minimum``).
    The trainer stops first: its own age trigger otherwise started a run on those few labels
    that the stack's stop then cut short. A run in flight is not cut short: a first rebuild
    on 200 labels, minutes of CPU, was thrown away and done again (Apple, DeflateGate). The
    demo takes the trainer's lock before stopping it, so no run starts in between.
    ``after_wait`` runs once the run in flight (if any) is over, before the last run."""
    events_pub = ModelEvents(s.kafka)
    minimum = final_minimum(s.trainer.min_new_labels)
    last = s.override(trainer={"min_new_labels": minimum, "max_label_age_s": 1e9})
    key = lock_key(s.redis.prefix)
    try:
        if redis.exists(key):
            say("waiting for the training run in flight ...")
        lock = redis.lock(key, timeout=120, blocking_timeout=WAIT_FOR_RUN_S, thread_local=False)
        held = lock.acquire(token=lock_holder("eddy demo (stopping the trainer)", time.time()))
        try:
            stack.stop_child("trainer")
        finally:
            if held:
                with suppress(LockError):  # expired: nothing left to free
                    lock.release()
        after_wait()
        reconciler(s, redis, label_sink(s, redis, with_feed=False)).run_once()
        # Should the wait have run out, the stopped trainer's lock expires within seconds.
        while (
            run := train_once(last, say=say, publish=events_pub.publish, by="eddy demo")
        ).outcome == "busy":
            time.sleep(2)
        say(final_outcome(run, minimum))
        refresh(s, redis)  # every version on the final evaluation set
    finally:
        events_pub.close()
