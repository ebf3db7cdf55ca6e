"""`eddy status`: the ops read model in a terminal: the champion, live workers per replica,
consumer lag, labels and backlog, the last training runs, and what needs a person."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import redis
import typer
from rich.markup import escape
from rich.table import Table

from services.cli.app import DataDir, JsonFlag, app, console, out, quiet_kafka, settings
from services.core.settings import Settings


def status_report(s: Settings) -> dict[str, Any]:
    """The read model's snapshot (the console's and /metrics' source), plus the champion's
    card and the replicas grouped by role."""
    from services.app.opsfacts import TrainerFacts
    from services.core import redis_sync
    from services.ops.heartbeats import by_role
    from services.ops.readmodel import ReadModel
    from services.registry.open import open_registry

    # Without Redis there is nothing to report: one line naming EDDY_REDIS_URL (the read
    # model alone would carry on and list it among the parts it could not read).
    client = redis_sync.connect(s.redis)
    try:
        client.ping()
    finally:
        client.close()
    model = ReadModel(s, TrainerFacts(s))
    try:
        snap = model.sample()
    finally:
        model.close()
    champ = open_registry(s.stack).champion()
    models = snap["models"]
    card = None
    if champ is not None:
        versions: list[dict[str, Any]] = models.get("versions", [])
        entry = next((v for v in versions if v["version"] == champ.version), {})
        card = _card(champ, entry.get("evaluation"), models.get("estimate"))
    return {
        **snap,
        "champion": card,
        "workers": by_role(snap["workers"]["replicas"]),
        "missing_roles": snap["workers"]["missing_roles"],
    }


def _card(champ: Any, evaluation: Any, estimate: Any) -> dict[str, Any]:
    return {
        "version": champ.version,
        "labels": champ.labels,
        "holdout_accuracy": (champ.meta.get("metrics") or {}).get("accuracy"),
        "evaluation": evaluation,
        "estimate": estimate,
    }


def _without_redis(s: Settings, exc: BaseException) -> dict[str, Any]:
    """Redis down: the dependency's one line, and what the registry alone still says (the
    champion), so an operator on call learns which model serves without a second tool."""
    from services.cli.errors import dependency_message
    from services.registry.open import open_registry

    champ = open_registry(s.stack).champion()
    card = None if champ is None else _card(champ, None, None)
    message = dependency_message(exc, s) or str(exc)
    return {
        "errors": {"redis": type(exc).__name__},
        "banner": [{"key": "EddyReadFailed", "message": message}],
        "champion": card,
        "workers": {},
        "missing_roles": [],
        "stream": None,
        "labels": None,
        "runs": [],
        "unknown": "workers, consumer lag, labels and training runs (they are read from Redis)",
    }


def lost_offsets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Partitions whose group committed past the log's end (services.ops.lag.past_end)."""
    from services.ops.lag import past_end

    rows = (report.get("stream") or {}).get("partitions") or []
    return [r for r in rows if past_end(int(r["end"]), r.get("committed"))]


def unhealthy(report: dict[str, Any]) -> bool:
    """What `eddy status` exits 1 on: what would page (a critical alert's condition)."""
    from services.ops.banner import CRITICAL

    return bool(
        report["missing_roles"]
        or report.get("errors")
        or lost_offsets(report)
        or any(b["key"] in CRITICAL for b in report.get("banner") or [])
    )


@app.command(short_help="Show the champion, workers, lag, labels and backlog.")
def status(data_dir: Path | None = DataDir, as_json: bool = JsonFlag) -> None:
    """Show the champion model, live workers (each replica), consumer lag, labels and the
    backlog, the last training runs and anything that needs a person (the console's
    banner). Exits 1 on what pages (a critical alert: no champion, a role without a live
    worker, Label Studio unreachable, a part that could not be read), so a health check
    notices. A stuck consumer needs lag samples over minutes: the console and Prometheus.
    --json prints the ops read model."""
    from services.stack.mode import follow_up

    s = settings(data_dir)  # sets up logging: quiet it after, not before
    # The banner says which part could not be read; the read model's log line would repeat it.
    logging.getLogger("eddy.ops").setLevel(logging.ERROR)
    quiet_kafka()
    s = follow_up(s)
    try:
        report = status_report(s)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        report = _without_redis(s, exc)
        # The CLI's one line for a dependency that is down, on stderr as every command has
        # it; what the registry still says follows on stdout.
        console.print(f"[red]error:[/red] {escape(report['banner'][0]['message'])}",
                      highlight=False, soft_wrap=True)  # fmt: skip
    bad = unhealthy(report)
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        raise typer.Exit(1 if bad else 0)
    _print(report)
    raise typer.Exit(1 if bad else 0)


def _print(report: dict[str, Any]) -> None:
    for alert in [] if report.get("unknown") else report["banner"]:  # Redis down: on stderr
        out.print(f"[red]! {alert['message']}[/red]", highlight=False)
    champ = report["champion"]
    if not champ and report.get("unknown"):  # no banner said so: it was not computed
        out.print("champion: none in the registry (`eddy bootstrap --seed FILE`)")
    if champ:
        classes = ", ".join(map(str, champ["labels"]))
        out.print(f"champion: v{champ['version']} (classes: {classes})", highlight=False)
        ev = champ["evaluation"]
        if ev:
            out.print(
                f"  common evaluation set: accuracy {ev['accuracy']:.3f} "
                f"[{ev['low']:.3f}, {ev['high']:.3f}] (n={ev['n']})",
                highlight=False,
            )
        elif champ["holdout_accuracy"] is not None:
            out.print(
                f"  holdout accuracy {champ['holdout_accuracy']:.3f} (its own holdout; "
                + (
                    "the common evaluation set's score is kept in Redis)"
                    if report.get("unknown")
                    else "the trainer has not scored the common evaluation set yet)"
                ),
                highlight=False,
            )
        estimates = champ["estimate"] or {}
        # Each channel, then all of them together (the JSON keeps Redis's order).
        for channel, est in sorted(estimates.items(), key=lambda kv: (kv[0] == "all", kv[0])):
            where = "all channels" if channel == "all" else channel
            out.print(
                f"  accuracy on audited traffic ({where}): {est['estimate']:.3f} "
                f"[{est['low']:.3f}, {est['high']:.3f}] (n={est['n']})",
                highlight=False,
            )
    table = Table("role", "host", "pid", "model", "counts")
    for role, beats in sorted(report["workers"].items()):
        for beat in beats:
            table.add_row(
                role,
                str(beat.get("host", "-")),
                str(beat.get("pid")),
                " ".join(
                    str(x)
                    for x in (_version(beat.get("model_version")), beat.get("backend"))
                    if x is not None
                ),
                " ".join(f"{k}={v}" for k, v in sorted((beat.get("counts") or {}).items())),
            )
    if report.get("unknown"):
        out.print(f"unknown without Redis: {report['unknown']}", highlight=False)
        return
    out.print(table if report["workers"] else "workers: none alive")
    groups = (report["stream"] or {}).get("groups") or {}
    if groups:
        lag = ", ".join(f"{g}: {v['lag']}" for g, v in groups.items())
        out.print(f"consumer lag: {lag}", highlight=False)
    for row in lost_offsets(report):
        out.print(
            f"[red]![/red] {row['group']} committed {row['committed']} on {row['topic']}"
            f"[{row['partition']}], past its log end {row['end']}: the broker lost records "
            f"there, and the group reads nothing new on it until the log passes "
            f"{row['committed']} (README § Long runs)",
            highlight=False,
        )
    labels = report["labels"]
    if labels:
        c = labels["counts"]
        out.print(
            f"labels: {c['labelled']} labelled event(s) from {c['annotations']} annotation(s); "
            f"{c['used']} used in training; backlog {labels['backlog_total']} open task(s); "
            f"{labels['awaiting_consensus']} waiting for consensus"
        )
        if labels["annotators"]:
            at = Table("annotator", "answers", "one-click accepts", "agreement with the others")
            emails = labels.get("annotator_emails") or {}
            for who, q in sorted(labels["annotators"].items()):
                agree = f"{q['agreement']:.2f} (n={q['compared']})" if q["compared"] else "-"
                name = f"{emails[who]} ({who})" if who in emails else who
                at.add_row(name, str(q["answers"]), str(q["one_click"]), agree)
            out.print(at)
    _running((report.get("cadence") or {}).get("running"))
    _runs(report["runs"])


def _running(run: dict[str, Any] | None) -> None:
    """The run in progress: a run of minutes is not a trainer gone quiet."""
    if not run:
        return
    since = f" for {run['for_s']:.0f} s" if run.get("for_s") is not None else ""
    where = f" on {run['host']}, pid {run['pid']}" if run.get("host") else ""
    out.print(f"training now:{since} ({run.get('by') or 'an unknown holder'}{where})")


def _runs(runs: list[dict[str, Any]]) -> None:
    trained = [r for r in runs if r["outcome"] in ("promoted", "rejected")][:5]
    if not trained:
        out.print("training runs: none yet")
        return
    rt = Table("started", "outcome", "champion", "challenger", "new", "replay", "seconds")
    for r in trained:
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


def _version(v: object) -> str:
    """v2, as every other view names a version ("2" read as a count)."""
    return f"v{v}" if isinstance(v, int) or (isinstance(v, str) and v.isdigit()) else "-"
