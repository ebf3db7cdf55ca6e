"""What the trainer process exports: runs by outcome, when the last run ended and how long
it took, when the trigger was last checked, last completed and last failed (the stale and
failing alerts), and the labels its poll of Label Studio stored."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from services.labels.metrics import LabelInflow
from services.runtime.metrics import process_registry

# skipped: the trigger did not fire; busy: another run held the lock; failed: it raised.
OUTCOMES = ("promoted", "rejected", "skipped", "busy", "failed")
TRAINED = ("promoted", "rejected")


class TrainerMetrics:
    def __init__(
        self, interval_s: float, started_at: float, registry: CollectorRegistry | None = None
    ) -> None:
        self.registry = r = registry or process_registry()
        self._runs = Counter(
            "eddy_trainer_runs",
            "The trainer's checks for new labels, by outcome: skipped (too few new labels, "
            "about once a minute), busy (another run held the lock), promoted, rejected or "
            "failed (a training run)",
            ["outcome"],
            registry=r,
        )
        for outcome in OUTCOMES:  # every series from the start: increase() needs a zero
            self._runs.labels(outcome)

        def gauge(name: str, text: str) -> Gauge:
            return Gauge(name, text, registry=r)

        self._last_run = gauge(
            "eddy_trainer_last_run_timestamp_seconds",
            "When the last training run (promoted or rejected) ended",
        )
        self._last_run_at = 0.0
        self._duration = gauge(
            "eddy_trainer_last_run_duration_seconds", "How long the last training run took"
        )
        self._last_check = gauge(
            "eddy_trainer_last_check_timestamp_seconds", "When the trigger was last checked"
        )
        self._last_failure = gauge(
            "eddy_trainer_last_failure_timestamp_seconds",
            "When a trigger check or its run last raised (0: not since the trainer started)",
        )
        self._last_ok = gauge(
            "eddy_trainer_last_ok_timestamp_seconds",
            "When a trigger check, and the run it started, last completed without an error",
        )
        interval = gauge(
            "eddy_trainer_check_interval_seconds",
            "How often the trigger is checked (EDDY_TRAINER_INTERVAL_S)",
        )
        interval.set(interval_s)
        # The first check comes one interval after the start: until then, the start counts
        # as one, so a trainer that just started is not reported stale.
        self._last_check.set(started_at)
        self.labels = LabelInflow(r, "poll")
        self._retired = Counter(
            "eddy_annotation_withdrawn_retired",
            "Withdrawn tasks past EDDY_ANNOTATION_WITHDRAWN_DAYS, by outcome: deleted (nobody "
            "answered), answered (kept) or gone (already deleted in Label Studio)",
            ["outcome"],
            registry=r,
        )
        for outcome in ("deleted", "answered", "gone"):
            self._retired.labels(outcome)

    def checked(self, at: float) -> None:
        self._last_check.set(at)

    def ran(self, outcome: str, started: float, ended: float) -> None:
        self._runs.labels(outcome).inc()
        self._last_ok.set(ended)  # clears a failure: the trainer works again
        if outcome in TRAINED:
            self.trained(ended, ended - started)

    def trained(self, ended: float, took: float) -> None:
        """A run that trained ended then (this process's, or one the run history holds:
        `eddy train`, or a run before a restart); the newest one counts."""
        if ended > self._last_run_at:
            self._last_run_at = ended
            self._last_run.set(ended)
            self._duration.set(took)

    def retired(self, deleted: int, answered: int, gone: int) -> None:
        for outcome, n in (("deleted", deleted), ("answered", answered), ("gone", gone)):
            self._retired.labels(outcome).inc(n)

    def failed(self, at: float) -> None:
        self._runs.labels("failed").inc()
        self._last_failure.set(at)
