"""`eddy webhook`, `trainer`, `reconcile`, `train`: the label side of the loop."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from services.cli.app import (
    DataDir,
    JsonFlag,
    app,
    console,
    fail,
    model_events,
    out,
    port_free,
    say,
    settings,
)
from services.cli.progress import training_progress
from services.core.settings import Settings

# What `eddy train --dry-run --json` says: the trigger's verdict and the data it would use.
PLAN = (
    "outcome",
    "trigger",
    "recipe",
    "champion_version",
    "new_labels",
    "replay_labels",
    "holdout",
)


@app.command(short_help="Serve the Label Studio webhook receiver.")
def webhook(data_dir: Path | None = DataDir) -> None:
    """Serve the Label Studio webhook receiver on EDDY_WEBHOOK_HOST:EDDY_WEBHOOK_PORT
    (annotation created / updated / deleted -> Redis label store)."""
    import uvicorn

    from services.annotation.webhook_metrics import WebhookMetrics
    from services.app.wiring import webhook_app
    from services.core.settings import exposed_without_secret
    from services.runtime.metrics_server import serve_metrics

    s = settings(data_dir)
    refused = exposed_without_secret(s, "webhook")
    if refused:
        raise fail("refusing to start", refused, 2)
    port_free(s, "webhook")
    metrics = WebhookMetrics()
    serve_metrics(metrics.registry, "webhook", s.metrics)
    uvicorn.run(
        webhook_app(s, metrics),
        host=s.label_studio.webhook_host,
        port=s.label_studio.webhook_port,
        log_level=s.stack.log_level.lower(),
        access_log=False,
    )


@app.command("ml-backend", short_help="Serve the champion as a Label Studio ML backend.")
def ml_backend(data_dir: Path | None = DataDir) -> None:
    """Serve Eddy's champion as a Label Studio ML backend on EDDY_ML_BACKEND_HOST:PORT
    (/health, /setup, /predict, /webhook) and connect it to Eddy's project."""
    from services.app.ml_backend import serve_ml_backend
    from services.core.settings import exposed_without_secret

    s = settings(data_dir)
    refused = exposed_without_secret(s, "ml-backend")
    if refused:
        raise fail("refusing to start", refused, 2)
    port_free(s, "ml-backend")
    serve_ml_backend(s)


@app.command(short_help="Run the scheduled jobs: reconcile labels, train, gate, promote.")
def trainer(
    data_dir: Path | None = DataDir,
    no_label_studio: bool = typer.Option(
        False, "--no-label-studio", help="Do not poll Label Studio (labels come otherwise)."
    ),
) -> None:
    """Run the scheduled jobs: reconcile labels from Label Studio every
    EDDY_RECONCILE_INTERVAL_S, and every EDDY_TRAINER_INTERVAL_S train when
    EDDY_TRAINER_MIN_NEW_LABELS new labels arrived or the oldest waited
    EDDY_TRAINER_MAX_LABEL_AGE_S."""
    from services.app.trainer import run_trainer

    run_trainer(settings(data_dir), with_label_studio=not no_label_studio)


@app.command(short_help="Fetch annotations changed in Label Studio once.")
def reconcile(data_dir: Path | None = DataDir) -> None:
    """Fetch annotations changed in Label Studio since the last poll into the label store
    (what the trainer does on schedule; webhooks are only a fast path)."""
    from services.annotation.lserrors import LabelStudioRefused
    from services.app.wiring import label_sink, reconciler
    from services.core import redis_sync
    from services.core.errors import NoLabelSet

    s = settings(data_dir)
    redis = redis_sync.connect(s.redis)
    try:
        result = reconciler(s, redis, label_sink(s, redis, with_feed=False)).run_once()
    except LabelStudioRefused as exc:
        if exc.auth:
            raise  # the entry point names the setting
        raise fail("reconcile failed", exc) from None
    except NoLabelSet as exc:
        raise fail("reconcile failed", exc) from None
    finally:
        redis.close()
    say(
        f"{result.tasks} changed task(s); {result.stored} label(s) stored, "
        f"{result.deleted} deleted; checkpoint {result.checkpoint}"
    )


@app.command(short_help="Print Label Studio's sign-up link for annotators.")
def invite(
    reset: bool = typer.Option(
        False, "--reset", help="Make a new link; the old one stops working."
    ),
    data_dir: Path | None = DataDir,
    as_json: bool = JsonFlag,
) -> None:
    """Print the link a new annotator signs up to Label Studio with (one per organisation in
    the community edition, which has no roles: a member can label, and can also open the
    project's settings and exports). Send it to each annotator; with EDDY_ANNOTATION_OVERLAP
    above 1, a task needs that many accounts."""
    from services.annotation.accounts import invite_link
    from services.annotation.client import LabelStudioClient
    from services.annotation.lserrors import LabelStudioRefused

    s = settings(data_dir)
    client = LabelStudioClient(s.label_studio)
    try:
        link = invite_link(client, s.label_studio.url, reset)
    except LabelStudioRefused as exc:
        if exc.auth:
            raise  # the entry point names the setting
        raise fail("invite failed", exc) from None
    finally:
        client.close()
    if as_json:
        print(json.dumps({"invite_url": link, "reset": reset}))
    else:
        say(("new " if reset else "") + f"sign-up link for annotators: {link}")


@app.command(short_help="One training run now (--dry-run: only say what it would do).")
def train(
    data_dir: Path | None = DataDir,
    force: bool = typer.Option(
        False,
        "--force",
        help="Train on any new labels, ignoring the trigger (EDDY_TRAINER_MIN_NEW_LABELS, "
        "EDDY_TRAINER_MAX_LABEL_AGE_S).",
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Say what would train (trigger, data, holdout); train nothing. With --json: "
        '{"dry_run": true, "outcome": "planned" or "skipped", "trigger", "recipe" (the one it '
        'would use), "champion_version", "new_labels", "replay_labels", "holdout"}.',
    ),
    as_json: bool = JsonFlag,
) -> None:
    """One training run now: if the trigger fires (or --force), train a challenger by the
    recipe (warm: the champion on the new labels plus replay; rebuild: the base encoder on
    every label; EDDY_TRAINER_RECIPE), score champion and challenger on the same holdout (the
    audit sample), and promote only if the paired gate finds it no worse (EDDY_GATE_*)."""
    from services.registry.rollout import person
    from services.training.incremental import train_once

    s = settings(data_dir)
    if dry_run:
        try:
            run = train_once(s, force=force, dry_run=True)
        except RuntimeError as exc:
            raise fail("train failed", exc) from None
        if as_json:  # a plan: no run id, times or challenger, as nothing ran
            d = run.as_dict()
            print(json.dumps({"dry_run": True, **{k: d[k] for k in PLAN}}, indent=2))
            return
        planned = run.outcome == "planned"
        verb, how = ("would train", f"{run.recipe} from ") if planned else ("would not train", "")
        out.print(
            f"{verb}: {run.trigger}; {how}champion v{run.champion_version}; "
            f"{run.new_labels} new + "
            f"{run.replay_labels} replayed label(s); holdout {run.holdout.get('audit', 0)} "
            f"audit + {run.holdout.get('seed', 0)} seed",
            highlight=False,
        )
        return
    with (
        model_events(s.kafka) as publish,
        training_progress(console, "fine-tuning", transient=True) as on_step,
    ):
        try:
            run = train_once(
                s, force=force, progress=on_step, say=say, publish=publish, by=person("eddy train")
            )
        except RuntimeError as exc:
            raise fail("train failed", exc) from None
    if as_json:
        print(json.dumps(run.as_dict(), indent=2))
    elif run.outcome in ("skipped", "busy"):
        say(f"no training: {run.trigger}")
    else:
        out.print(
            f"v{run.challenger_version} {run.outcome.upper()} "
            f"(champion was v{run.champion_version}, recipe {run.recipe}): "
            f"{'; '.join(run.reasons)}",
            highlight=False,
        )
    if run.outcome in ("promoted", "rejected"):
        # As the trainer does after its runs: the new version on the common evaluation set,
        # so `eddy versions` and the console compare it at once. The run stands either way.
        try:
            _evaluate(s, say=(lambda _m: None) if as_json else say)
        except Exception as exc:
            console.print(
                f"[yellow]warning:[/yellow] scoring the evaluation set failed "
                f"({type(exc).__name__}); `eddy evaluate` tries again",
                soft_wrap=True,
            )


@app.command(short_help="Score every version on the shared evaluation set.")
def evaluate(data_dir: Path | None = DataDir, as_json: bool = JsonFlag) -> None:
    """Score every version on the evaluation set (every audit label, plus the seed holdout
    while audits are few) and the champion per channel; the trainer does this after each
    run. `eddy versions` and `eddy status` show the result."""
    doc = _evaluate(settings(data_dir), say=say)
    if as_json:
        print(json.dumps(doc, indent=2))
        return
    scores = doc["versions"]
    pruned = sum(bool(sc.get("pruned")) for sc in scores.values())
    out.print(
        f"evaluation set: {doc['size']} examples ({doc['audit']} audit + {doc['seed']} seed); "
        f"{sum(not sc.get('stale') for sc in scores.values() if 'accuracy' in sc)} version(s) "
        "scored on it" + (f", {pruned} pruned (not scored again)" if pruned else ""),
        highlight=False,
    )
    for v, sc in sorted(scores.items(), key=lambda kv: int(kv[0])):
        if "accuracy" not in sc:  # its weights went before any scoring
            out.print(f"v{v}: pruned, never scored", highlight=False)
            continue
        mark = " (champion)" if int(v) == doc.get("champion") else ""
        old = f" (stale: scored on {sc['n']} earlier examples)" if sc.get("stale") else ""
        old += ", pruned" if sc.get("pruned") else ""
        out.print(
            f"v{v}{mark}: accuracy {sc['accuracy']:.3f}, macro-F1 {sc['macro_f1']:.3f}{old}",
            highlight=False,
        )
    for line in estimate_lines(doc):
        out.print(line, highlight=False)


def estimate_lines(doc: dict[str, Any]) -> list[str]:
    """The champion's accuracy per channel and overall, as `eddy evaluate` prints it."""
    estimates = doc.get("champion_estimate") or {}
    per_channel = sum(e["n"] for ch, e in estimates.items() if ch != "all")
    lines = []
    for channel, est in estimates.items():
        # Overall leaves the hourly floor's picks out (a quiet channel would weigh as much as
        # a busy one): said, as its n is then below the channels' sum.
        why = (
            "; the uniform share's picks only, not the hourly floor's"
            if channel == "all" and est["n"] < per_channel
            else ""
        )
        lines.append(
            f"champion v{doc['champion']} on {channel}: accuracy {est['estimate']:.3f} "
            f"[{est['low']:.3f}, {est['high']:.3f}] (95% Wilson, n={est['n']}{why})"
        )
    return lines


def _evaluate(s: Settings, say: Callable[[str], None]) -> dict[str, Any]:
    from services.core import redis_sync
    from services.training.evaluation import refresh

    redis = redis_sync.connect(s.redis)
    try:
        return refresh(s, redis, say=say)
    finally:
        redis.close()
