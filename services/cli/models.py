"""`eddy bootstrap`, `versions`, `promote`, `rollback`: the model registry by hand."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from services.cli.app import DataDir, JsonFlag, app, console, fail, out, say, settings
from services.cli.progress import training_progress
from services.core.settings import KafkaSettings


@contextmanager
def model_events(kafka: KafkaSettings) -> Iterator[Callable[[dict[str, Any]], None] | None]:
    """A models.v1 publisher, or None (with a warning) when the broker is unreachable: the
    registry pointer is the truth workers follow; the event is the announcement."""
    from services.core.kafka import BrokerUnavailable
    from services.registry.rollout import ModelEvents

    try:
        events = ModelEvents(kafka)
    except BrokerUnavailable as exc:
        console.print(
            f"[yellow]warning:[/yellow] no models.v1 event will be sent: {exc}", soft_wrap=True
        )
        yield None
        return
    try:
        yield events.publish
    finally:
        events.close()


@app.command()
def bootstrap(
    seed: Path = typer.Option(..., "--seed", help="CSV or JSONL with text and label columns."),
    data_dir: Path | None = DataDir,
    epochs: int | None = typer.Option(None, help="Default EDDY_BOOTSTRAP_EPOCHS (3)."),
) -> None:
    """Train model version 1 from a labelled seed file and make it the champion."""
    from services.training.bootstrap import bootstrap as run_bootstrap
    from services.training.examples import DatasetError

    s = settings(data_dir, trainer={"bootstrap_epochs": epochs})
    with training_progress(console, "training") as on_step:
        try:
            result = run_bootstrap(s, seed, on_step)
        except (DatasetError, ValueError, RuntimeError) as exc:
            raise fail("bootstrap failed", exc) from None
    m = result.metrics
    say(
        f"model v{result.ref.version} is champion ({result.ref.path}); "
        f"train {result.train_size}, holdout {result.holdout_size}"
        + (f", holdout accuracy {m.accuracy:.3f}, macro-F1 {m.macro_f1:.3f}" if m else "")
    )


def version_rows(models_dir: Path) -> list[dict[str, Any]]:
    from services.registry.store import ModelRegistry

    reg = ModelRegistry(models_dir)
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
    return rows


@app.command()
def versions(data_dir: Path | None = DataDir, as_json: bool = JsonFlag) -> None:
    """List model versions with lineage, status, metrics and labels used."""
    rows = version_rows(settings(data_dir).stack.models_dir)
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
    out.print(table if rows else "no model versions yet")


@app.command()
def promote(
    version: int = typer.Argument(..., help="Version to make champion."),
    reason: str = typer.Option("manual promotion", help="Recorded in history and models.v1."),
    data_dir: Path | None = DataDir,
) -> None:
    """Make VERSION the champion (bypasses the gate: an operator's decision). Classify
    workers switch within EDDY_MODEL_POLL_S, without restart."""
    from services.registry.rollout import promote as do_promote
    from services.registry.store import ModelRegistry, RegistryError

    s = settings(data_dir)
    with model_events(s.kafka) as publish:
        try:
            event = do_promote(ModelRegistry(s.stack.models_dir), version, reason, publish)
        except RegistryError as exc:
            raise fail("promote failed", exc) from None
    say(f"champion: v{event['previous_version']} -> v{event['version']}")


@app.command()
def rollback(
    reason: str = typer.Option("manual rollback", help="Recorded in history and models.v1."),
    data_dir: Path | None = DataDir,
) -> None:
    """Make the previous champion the champion again."""
    from services.registry.rollout import rollback as do_rollback
    from services.registry.store import ModelRegistry, RegistryError

    s = settings(data_dir)
    with model_events(s.kafka) as publish:
        try:
            event = do_rollback(ModelRegistry(s.stack.models_dir), reason, publish)
        except RegistryError as exc:
            raise fail("rollback failed", exc) from None
    say(f"champion: v{event['previous_version']} -> v{event['version']}")
