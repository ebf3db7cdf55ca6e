"""`eddy status`: the champion, live workers per replica, the label store, recent runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from services.cli.app import DataDir, JsonFlag, app, out, settings
from services.core.roles import ROLES, STREAM_ROLES
from services.core.settings import Settings


def expected_roles(s: Settings) -> list[str]:
    """Roles `eddy up` runs with these settings: the label side only with Label Studio."""
    return [*ROLES, "trainer"] if s.stack.with_label_studio else list(STREAM_ROLES)


def status_report(s: Settings) -> dict[str, Any]:
    from services.core import redis_sync
    from services.labels.store import LabelStore
    from services.ops.heartbeats import workers_alive
    from services.registry.store import ModelRegistry
    from services.training.evaluation import evaluation_of
    from services.training.runs import recent_runs

    registry = ModelRegistry(s.stack.models_dir)
    champ = registry.champion()
    evaluation = evaluation_of(registry)
    alive = workers_alive(s.redis)
    client = redis_sync.connect(s.redis)
    try:
        store = LabelStore(client, s.redis.prefix)
        labels = store.counts()
        annotators = store.annotator_quality()
        runs = recent_runs(client, s.redis.prefix, 5)
    finally:
        client.close()
    return {
        "champion": None
        if champ is None
        else {
            "version": champ.version,
            "labels": champ.labels,
            "holdout_accuracy": (champ.meta.get("metrics") or {}).get("accuracy"),
            "evaluation": (evaluation.get("versions") or {}).get(str(champ.version)),
            "estimate": evaluation.get("champion_estimate")
            if evaluation.get("champion") == champ.version
            else None,
        },
        "workers": alive,
        "missing_roles": [r for r in expected_roles(s) if r not in alive],
        "labels": labels,
        "annotators": annotators,
        "runs": runs,
    }


@app.command()
def status(data_dir: Path | None = DataDir, as_json: bool = JsonFlag) -> None:
    """Show the champion model, live workers and their counters, the label store and the
    last training runs. Exits 1 when a role has no live worker."""
    report = status_report(settings(data_dir))
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        raise typer.Exit(1 if report["missing_roles"] else 0)
    champ = report["champion"]
    if champ:
        out.print(f"champion: v{champ['version']} labels={champ['labels']}", highlight=False)
        for channel, est in (champ["estimate"] or {}).items():
            out.print(
                f"  accuracy on audited {channel} traffic: {est['estimate']:.3f} "
                f"[{est['low']:.3f}, {est['high']:.3f}] (n={est['n']})",
                highlight=False,
            )
    else:
        out.print("champion: none (run `eddy bootstrap --seed FILE`)")
    alive = report["workers"]
    table = Table("role", "pid", "model", "counts")
    for role, beat in sorted(alive.items()):
        table.add_row(
            role,
            str(beat.get("pid")),
            str(beat.get("model_version", "-")),
            json.dumps(beat.get("counts", {})),
        )
    out.print(table if alive else "workers: none alive")
    if report["missing_roles"]:
        out.print(f"[red]no live worker for: {', '.join(report['missing_roles'])}[/red]")
    c = report["labels"]
    out.print(
        f"labels: {c['labelled']} labelled event(s) from {c['annotations']} annotation(s); "
        f"{c['used']} used in training"
    )
    if report["annotators"]:
        at = Table("annotator", "answers", "one-click accepts", "agreement with the others")
        for who, q in sorted(report["annotators"].items()):
            agree = f"{q['agreement']:.2f} (n={q['compared']})" if q["compared"] else "-"
            at.add_row(who, str(q["answers"]), str(q["one_click"]), agree)
        out.print(at)
    runs = report["runs"]
    if runs:
        rt = Table("started", "outcome", "champion", "challenger", "new", "replay", "seconds")
        for r in runs:
            rt.add_row(
                str(r["started_at"]),
                str(r["outcome"]),
                f"v{r['champion_version']}",
                f"v{r['challenger_version']}",
                str(r["new_labels"]),
                str(r["replay_labels"]),
                str(r["duration_s"]),
            )
        out.print(rt)
    else:
        out.print("training runs: none yet")
    raise typer.Exit(1 if report["missing_roles"] else 0)
