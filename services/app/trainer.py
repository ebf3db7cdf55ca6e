"""`eddy trainer`: the scheduled side of the loop, in its own process.

Two APScheduler jobs, each never overlapping itself: reconcile labels from Label Studio (the
source of truth behind the webhooks) and check the training trigger. Training runs here, not
in a worker, so inference keeps its cores (EDDY_TRAINER_THREADS caps what training takes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler

from services.annotation.reconcile import Reconciler
from services.annotation.rescore import queue_mark, rescored_key
from services.annotation.retire import retire_withdrawn
from services.app.requeue import requeue_after_promotion
from services.app.trainer_metrics import TrainerMetrics
from services.app.wiring import label_sink, reconciler
from services.core import pulse, redis_sync
from services.core.heartbeat import TTL_S, heartbeat_index, heartbeat_key
from services.core.memory import release_memory
from services.core.settings import Settings
from services.registry.open import open_registry
from services.registry.rollout import ModelEvents
from services.runtime.metrics_server import serve_metrics
from services.training.evaluation import due, evaluation_of, needs_rescore, refresh
from services.training.incremental import train_once
from services.training.runs import last_trained, recent_runs

log = logging.getLogger("eddy.trainer")
# Between training runs, re-score on the grown evaluation set at most this often.
EVALUATE_EVERY_S = 600.0
RETIRE_EVERY_S = 600.0  # a pass over the withdrawn tasks (EDDY_ANNOTATION_WITHDRAWN_DAYS)


class TrainerJobs:
    def __init__(self, settings: Settings, with_label_studio: bool = True) -> None:
        self.settings = settings
        self.with_label_studio = with_label_studio
        self.redis = redis_sync.connect(settings.redis)
        self._reconciler: Reconciler | None = None
        self._events: ModelEvents | None = None
        self.counts: dict[str, Any] = {"runs": 0, "promoted": 0, "rejected": 0, "reconciled": 0}
        self.metrics = TrainerMetrics(settings.trainer.interval_s, time.time())
        # The cadence the ops read model shows: the first check comes one interval in.
        self.cadence: dict[str, Any] = {
            "started_at": time.time(),
            "last_check_at": None,
            "next_check_at": time.time() + settings.trainer.interval_s,
            "last_failure": None,
            "last_ok_at": None,
        }
        self._eval_failed_at = 0.0  # a version that cannot be scored waits for due(), not a tick
        self._queue_checked = False
        self._said_no_champion = False
        self._requeue_lock = threading.Lock()
        self._requeue_waiting = threading.Event()  # a re-score is queued behind the lock
        self._requeue_flag = threading.Lock()

    def _bridge(self) -> Reconciler:
        """The Label Studio side, made at first use (Label Studio may still be starting)."""
        if self._reconciler is None:
            sink = label_sink(self.settings, self.redis)
            self._reconciler = reconciler(self.settings, self.redis, sink)
        return self._reconciler

    def reconcile(self) -> None:
        try:
            result = self._bridge().run_once()
            if not self._queue_checked:
                self.requeue_if_stale()
            self.counts["reconciled"] += result.stored + result.deleted
            self.metrics.labels.stored(result.stored)
            self.metrics.labels.deleted(result.deleted)
        except Exception as exc:  # Label Studio down: the next tick tries again
            log.warning("reconciliation failed: %s: %s", type(exc).__name__, exc)

    def train(self) -> None:
        try:
            self._train()
        finally:  # the run's models and optimiser state: hundreds of MB glibc would keep
            release_memory()

    def _train(self) -> None:
        started = time.time()
        self.metrics.checked(started)
        self.cadence["last_check_at"] = started
        self.cadence["next_check_at"] = started + self.settings.trainer.interval_s
        try:
            if open_registry(self.settings.stack).champion_version() is None:
                # Before `eddy bootstrap`: nothing to train from, said once, not a traceback
                # a minute (an ops trial); the banner and EddyNoChampion say it meanwhile.
                if not self._said_no_champion:
                    log.warning("no champion model yet: nothing to train until `eddy bootstrap`")
                    self._said_no_champion = True
                return
            self._said_no_champion = False
            if self._events is None:
                self._events = ModelEvents(self.settings.kafka)
            run = train_once(self.settings, say=log.info, publish=self._events.publish)
        except Exception as exc:
            log.exception("training run failed")
            self.metrics.failed(time.time())
            # The type and the first line only: enough to act on, no customer text.
            why = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            self.cadence["last_failure"] = {"at": time.time(), "reason": why[:200]}
            return
        ended = time.time()
        self.metrics.ran(run.outcome, started, ended)
        self.cadence["last_ok_at"] = ended
        self.history()
        trained = run.outcome in ("promoted", "rejected")
        if trained:
            self.counts["runs"] += 1
            self.counts[run.outcome] += 1
        if run.outcome == "promoted" and self.with_label_studio:
            self.requeue_soon()
        else:
            log.info("no training: %s", run.trigger)
        try:  # the evaluation's own failure is its own (the check itself completed)
            registry = open_registry(self.settings.stack)
            doc = evaluation_of(registry)
            changed = needs_rescore(doc, registry.champion_version(), registry.versions())
        except Exception:
            self._eval_failed_at = time.time()
            log.exception("reading the registry for the evaluation failed")
            return
        now = time.time()
        if (
            trained
            or due(doc, now, EVALUATE_EVERY_S)
            or (changed and now - self._eval_failed_at >= EVALUATE_EVERY_S)
        ):
            self.evaluate()

    def history(self) -> None:
        """The newest training run in the run history, whoever ran it (`eddy train`, or this
        trainer before a restart), for eddy_trainer_last_run_timestamp_seconds."""
        try:
            # Only runs that trained are saved: the newest few suffice (every check reads).
            last = last_trained(recent_runs(self.redis, self.settings.redis.prefix, 5))
        except Exception as exc:
            log.warning("reading the run history failed: %s", type(exc).__name__)
            return
        if last is not None:
            self.metrics.trained(*last)

    def requeue_soon(self) -> None:
        """The re-score on a thread of its own: each open task costs Label Studio a few calls
        (about 0.35 s), so a backlog of thousands took minutes to hours, and no trigger check
        or reconciliation ran meanwhile (a soak trial: 1,872 tasks, 10 min 48 s). Cut short
        by a stop, it is done again at the next start (the queue's mark is set only at the
        end). One waits at most: it reads the champion when it starts, the newest then."""
        with self._requeue_flag:  # the check and the set at once: two threads call this
            if self._requeue_waiting.is_set():
                return
            self._requeue_waiting.set()
        threading.Thread(target=self.requeue, name="eddy-requeue", daemon=True).start()

    def requeue(self) -> None:
        """The open tasks re-scored by the new champion: least sure first, sure ones out."""
        # The reconcile job (the start's check) and the train job (a promotion) run on two
        # scheduler threads: one re-score at a time.
        with self._requeue_lock:
            self._requeue_waiting.clear()  # a promotion from now on needs another re-score
            try:
                rec = self._bridge()
                done = requeue_after_promotion(
                    self.settings, rec.client, self.redis, rec.project_id
                )
                if done is not None:
                    self.counts["withdrawn"] = self.counts.get("withdrawn", 0) + done.withdrawn
            except Exception:  # the queue stays as it was; the next promotion tries again
                log.exception("re-scoring open tasks failed")
            finally:
                release_memory()

    def requeue_if_stale(self) -> None:
        """Once a start: open tasks last written for another champion, setting or task format
        (an older Eddy, EDDY_ANNOTATION_SUGGEST changed, a rollback) are re-scored now."""
        try:
            champion = open_registry(self.settings.stack).champion_version()
            mark = self.redis.get(rescored_key(self.settings.redis.prefix))
        except Exception as exc:  # the next reconciliation tries again
            log.warning("checking the open tasks' mark failed: %s", type(exc).__name__)
            return
        self._queue_checked = True
        if champion is not None and mark != queue_mark(champion, self.settings.annotation.suggest):
            written = mark or "an earlier Eddy (no mark)"
            log.info("open tasks last written for %s: re-scoring with v%d", written, champion)
            self.requeue_soon()

    def retire(self) -> None:
        """Withdrawn tasks nobody answered in EDDY_ANNOTATION_WITHDRAWN_DAYS, deleted."""
        try:
            rec, s = self._bridge(), self.settings
            done = retire_withdrawn(rec.client, self.redis, s.redis.prefix, rec.project_id,
                                    s.annotation.withdrawn_days, time.time())  # fmt: skip
        except Exception as exc:  # Label Studio down: the next pass tries again
            log.warning("retiring withdrawn tasks failed: %s", type(exc).__name__)
            return
        self.counts["retired"] = self.counts.get("retired", 0) + done.deleted
        self.metrics.retired(done.deleted, done.answered, done.gone)

    def evaluate(self) -> None:
        """Every version on the (possibly grown) evaluation set; the champion's estimate."""
        try:
            refresh(self.settings, self.redis, say=log.info)
        except Exception:
            self._eval_failed_at = time.time()
            log.exception("evaluation failed")

    def heartbeat(self) -> None:
        prefix = self.settings.redis.prefix
        key = heartbeat_key(prefix, "trainer", socket.gethostname(), os.getpid())
        value = {
            "role": "trainer",
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "at": time.time(),
            "counts": self.counts,
            **self.cadence,
        }
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(key, json.dumps(value), ex=TTL_S)
            pipe.sadd(heartbeat_index(prefix), key)
            pipe.execute()
        except Exception as exc:
            log.warning("heartbeat failed: %s", type(exc).__name__)


def run_trainer(settings: Settings, with_label_studio: bool = True) -> None:
    open_registry(settings.stack).check_writable()  # every run would train, then fail
    jobs = TrainerJobs(settings, with_label_studio)
    serve_metrics(jobs.metrics.registry, "trainer", settings.metrics)
    jobs.history()  # the last run's time at once, not one interval after a restart
    sched = BlockingScheduler(timezone="UTC")
    common: dict[str, Any] = {"max_instances": 1, "coalesce": True}
    now = datetime.now(UTC)
    if with_label_studio:
        sched.add_job(
            jobs.reconcile,
            "interval",
            seconds=settings.label_studio.reconcile_interval_s,
            id="reconcile",
            **{**common, "next_run_time": now},
        )
        if settings.annotation.withdrawn_days > 0:
            sched.add_job(jobs.retire, "interval", seconds=RETIRE_EVERY_S, id="retire", **common)
    sched.add_job(
        jobs.train,
        "interval",
        seconds=settings.trainer.interval_s,
        id="train",
        **common,
    )
    sched.add_job(
        jobs.heartbeat, "interval", seconds=2, id="heartbeat", **{**common, "next_run_time": now}
    )
    # `eddy alive`'s pulse, a job of its own: a Redis write hanging in the heartbeat for its
    # timeout must not hold it back (a liveness probe must not depend on Redis).
    sched.add_job(
        pulse.beat,
        "interval",
        seconds=2,
        id="pulse",
        args=[settings.stack.data_dir],
        **{**common, "next_run_time": now},
    )
    log.info(
        "trainer: reconcile every %.0fs, trigger check every %.0fs (N=%d labels or %.0fs)",
        settings.label_studio.reconcile_interval_s,
        settings.trainer.interval_s,
        settings.trainer.min_new_labels,
        settings.trainer.max_label_age_s,
    )

    def stop(signum: int, _frame: object) -> None:
        # A run in progress is abandoned, not finished: its challenger is not stored yet
        # (the registry writes versions atomically) and its labels stay "new" for next time.
        log.info("trainer stopping (signal %d)", signum)
        sched.shutdown(wait=False)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        sched.start()
