"""The demo's live view: counters read from worker heartbeats, Redis and the registry."""

from __future__ import annotations

import time
from collections.abc import Callable
from threading import Event
from typing import Any

from rich.live import Live
from rich.table import Table

from services.annotation.submit import TaskIndex
from services.core import redis_sync
from services.core.settings import Settings
from services.labels.store import LabelStore
from services.ops.heartbeats import workers_alive
from services.registry.open import open_registry
from services.training.runs import recent_runs


class Progress:
    """What the live view shows, refreshed from Redis and the registry."""

    announced = 0  # training runs given a line so far

    def __init__(self, s: Settings, total: int, project: int) -> None:
        self.s = s
        self.total = total
        self.sent = 0
        self.lost = 0
        self.redis = redis_sync.connect(s.redis)
        self.store = LabelStore(self.redis, s.redis.prefix)
        self.tasks = TaskIndex(self.redis, s.redis.prefix, project)
        self.registry = open_registry(s.stack)
        self.snapshot: dict[str, Any] = {}

    def refresh(self) -> dict[str, Any]:
        counts: dict[str, dict[str, int]] = {}
        for role, beat in workers_alive(self.s.redis).items():
            counts[role] = dict(beat.get("counts") or {})  # type: ignore[call-overload]
        runs = recent_runs(self.redis, self.s.redis.prefix, 100)
        champ = self.registry.champion()
        self.snapshot = {
            "sent": self.sent,
            "predicted": counts.get("classify", {}).get("ok", 0),
            # Events refused on the way: they will never be predicted (the demo must not wait).
            "dead_lettered": sum(
                n for c in counts.values() for k, n in c.items() if k.startswith("deadletter:")
            ),
            "routed": counts.get("route", {}).get("routed", 0),
            # From Redis, as the labels are: the annotate worker's heartbeat lags, and showed
            # fewer tasks than labelled tasks.
            "tasks": self.tasks.count(),
            "labels": self.store.counts()["labelled"],
            "runs": len(runs),
            "promoted": sum(r["outcome"] == "promoted" for r in runs),
            "rejected": sum(r["outcome"] == "rejected" for r in runs),
            "trained": [r for r in runs if r["outcome"] in ("promoted", "rejected")],
            "champion": champ.version if champ else None,
            # The gate's accuracy on its holdout, and that holdout's size: it grows between
            # runs, so a promoted champion can read lower than the one before on a larger set.
            "champion_acc": ((champ.meta.get("metrics") or {}).get("accuracy") if champ else None),
            "champion_n": ((champ.meta.get("metrics") or {}).get("n") if champ else None),
        }
        return self.snapshot

    def unannounced(self) -> list[dict[str, Any]]:
        """The training runs finished since the last call, oldest first (as of the last
        refresh)."""
        trained = self.snapshot.get("trained") or []  # newest first
        new = list(reversed(trained[: max(0, len(trained) - self.announced)]))
        self.announced = max(self.announced, len(trained))
        return new

    def line(self) -> str:
        """The table in one line, for output that is not a terminal (a log, `| tee`)."""
        p = self.snapshot
        return (
            f"events {p.get('sent', 0)}/{self.total}, predicted {p.get('predicted', 0)}, "
            f"routed {p.get('routed', 0)}, tasks {p.get('tasks', 0)}, labelled tasks "
            f"{p.get('labels', 0)}, training runs {p.get('runs', 0)} ({p.get('promoted', 0)} "
            f"promoted), champion {self._champion()}"
        )

    def _champion(self) -> str:
        acc, n = self.snapshot.get("champion_acc"), self.snapshot.get("champion_n")
        on = f" on {n}" if n else ""
        return f"v{self.snapshot.get('champion')}" + (
            f" (gate holdout accuracy {acc:.3f}{on})" if acc is not None else ""
        )

    def table(self) -> Table:
        p = self.snapshot
        t = Table(title="eddy demo", show_header=False, min_width=48)
        t.add_row("events sent", f"{p.get('sent', 0)}/{self.total}")
        t.add_row("predicted", str(p.get("predicted", 0)))
        if p.get("dead_lettered"):
            t.add_row("dead-lettered", str(p["dead_lettered"]))
        t.add_row("routed to review", str(p.get("routed", 0)))
        t.add_row("Label Studio tasks", str(p.get("tasks", 0)))
        t.add_row("labelled tasks", str(p.get("labels", 0)))
        t.add_row(
            "training runs",
            f"{p.get('runs', 0)} ({p.get('promoted', 0)} promoted, {p.get('rejected', 0)} "
            "rejected)",
        )
        t.add_row("champion", self._champion())
        return t


def run_line(run: dict[str, Any]) -> str:
    """One line for a training run the trainer finished during the stream."""
    said = (
        f"training run: v{run.get('challenger_version')} on {run.get('new_labels', 0)} new "
        f"label(s) {run.get('outcome')} ({run.get('recipe') or '-'})"
    )
    champ, chal = run.get("champion_metrics") or {}, run.get("challenger_metrics") or {}
    if champ.get("accuracy") is not None and chal.get("accuracy") is not None:
        said += (
            f", gate holdout accuracy {champ['accuracy']:.3f} -> {chal['accuracy']:.3f} "
            f"on {chal.get('n', '?')}"
        )
    reasons = run.get("reasons") or []
    if run.get("outcome") == "rejected" and reasons:
        said += f": {reasons[0]}"
    return said


def watch(
    progress: Progress,
    live: Live,
    sent: Event,
    pending: Callable[[], int],
    deadline: float,
    every_s: float = 30.0,
) -> None:
    """Refresh the live view until the producer is done (``sent``: every event sent, or the
    stream stopped early), every event it sent is predicted, and every task answered
    (``pending``). Rich animates the view only on an interactive console (a
    terminal, not TERM=dumb); elsewhere one progress line every ``every_s`` says the run is
    alive. Each training run the trainer finishes gets a line of its own, either way."""
    printed = time.monotonic()
    while time.monotonic() < deadline:
        snap = progress.refresh()
        live.update(progress.table())
        for run in progress.unannounced():
            live.console.print(run_line(run), highlight=False, markup=False, soft_wrap=True)
        if not live.console.is_interactive and time.monotonic() - printed >= every_s:
            # One line a line, however long: a log is read (and grepped) line by line.
            live.console.print(progress.line(), highlight=False, markup=False, soft_wrap=True)
            printed = time.monotonic()
        handled = snap["predicted"] + snap["dead_lettered"]
        # Read after the flag: the producer sets both counts before it.
        target = progress.sent - progress.lost if sent.is_set() else progress.total
        done = handled >= target and snap["tasks"] >= snap["routed"]
        if sent.is_set() and done and pending() == 0:
            return
        time.sleep(1.0)
