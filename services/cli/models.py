"""`eddy bootstrap`, `versions`, `promote`, `rollback`: the model registry by hand."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from services.cli.app import (
    DataDir,
    JsonFlag,
    app,
    console,
    fail,
    model_events,
    out,
    say,
    settings,
)
from services.cli.progress import training_progress
from services.core.settings import StackSettings
from services.stack.secrets import private_dir


@app.command(short_help="Train v1 from a labelled seed file and make it the champion.")
def bootstrap(
    seed: Path = typer.Option(..., "--seed", help="CSV or JSONL with text and label columns."),
    data_dir: Path | None = DataDir,
    epochs: int | None = typer.Option(None, min=1, help="Default EDDY_BOOTSTRAP_EPOCHS (8)."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace an existing champion, and make the model champion even if it is no use.",
    ),
    if_missing: bool = typer.Option(
        False,
        "--if-missing",
        help="Do nothing (exit 0) when a champion exists: the bootstrap job of compose and "
        "Kubernetes runs on every deploy.",
    ),
) -> None:
    """Train a model from a labelled seed file and make it the champion: only if no champion
    exists yet, and only if it is useful (not one class for everything, better than the
    majority class on the seed holdout), unless --force."""
    from services.registry.rollout import person
    from services.training.bootstrap import bootstrap as run_bootstrap
    from services.training.examples import DatasetError

    s = settings(data_dir, trainer={"bootstrap_epochs": epochs})
    if s.stack.registry_dir is None:  # the seed's examples are kept in the registry
        private_dir(s.stack.data_dir, say)
    if if_missing and not force:
        from services.registry.open import open_registry

        current = open_registry(s.stack).champion_version()
        if current is not None:
            say(f"v{current} is champion already; nothing to bootstrap")
            return
    with training_progress(console, "training") as on_step:
        try:
            result = run_bootstrap(s, seed, on_step, force=force, by=person("eddy bootstrap"))
        except (DatasetError, ValueError, RuntimeError) as exc:
            raise fail("bootstrap failed", exc) from None
    m, sizes = result.metrics, result.sizes()
    for note in result.notes + (
        [] if m else ["no seed holdout (too few examples per class): the model's use is unchecked"]
    ):
        say(f"note: {note}")
    for problem in result.problems:
        console.print(f"[bold red]WARNING:[/bold red] {problem}", soft_wrap=True)
    if not result.champion:
        raise fail(
            f"v{result.ref.version} is not champion",
            f"the model is no use ({sizes}); give the seed more examples per class or change "
            "EDDY_BOOTSTRAP_EPOCHS / EDDY_BOOTSTRAP_LR, or accept it with --force",
        )
    say(f"model v{result.ref.version} is champion ({result.ref.path}); {sizes}")


def version_rows(stack: StackSettings) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per version, and the evaluation document their ``eval`` scores come from."""
    from services.registry.lineage import rolled_back, seed_used
    from services.registry.open import open_registry
    from services.training.evaluation import evaluation_of

    reg = open_registry(stack)
    champ = reg.champion_version()
    evaluation = evaluation_of(reg)
    scores = evaluation.get("versions", {})
    metas = {v: reg.get(v).meta for v in reg.versions()}
    seeds, back = seed_used(metas), rolled_back(reg.history())
    rows = []
    for v, m in metas.items():
        metrics = m.get("metrics") or {}
        rows.append(
            {
                "version": v,
                "parent": m.get("parent"),
                "kind": m.get("kind"),
                "status": "champion"
                if v == champ
                else ("rolled_back" if v in back else m.get("status", "-")),
                "gate_status": m.get("status", "-"),  # the gate's word, champion or not
                "eval": scores.get(str(v)),
                "accuracy": metrics.get("accuracy"),
                "macro_f1": metrics.get("macro_f1"),
                # Store labels (routed and random picks), and the seed beside them.
                "labels_used": int(m.get("labels_used") or 0),
                "seed_used": seeds[v],
                "recipe": (m.get("recipe") or {}).get("name"),
                "created_at": m.get("created_at"),
                "pruned_at": m.get("pruned_at"),  # weights removed (EDDY_REGISTRY_KEEP)
                # The gate's reasons, a list as in the demo's report and the console.
                "decision": list(m.get("decision") or []),
                "gate": m.get("gate"),
            }
        )
    return rows, evaluation


@app.command(short_help="List model versions, their lineage and scores.")
def versions(data_dir: Path | None = DataDir, as_json: bool = JsonFlag) -> None:
    """List model versions with lineage, status, labels used, and each version's score on
    the one evaluation set they all share (audit labels; re-scored when it grows), besides
    the gate's figures from its own run."""
    stack = settings(data_dir).stack
    # A typo'd --data-dir must not read as "no versions"; with EDDY_MODEL_STORE or
    # EDDY_REGISTRY_DIR the registry is elsewhere and the data dir may rightly be absent.
    if (
        data_dir is not None
        and not data_dir.is_dir()
        and not stack.model_store
        and stack.registry_dir is None
    ):
        raise fail("no such data dir", f"{data_dir} (--data-dir)", 2)
    rows, evaluation = version_rows(stack)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(
        "version", "parent", "kind", "recipe", "status", "eval acc", "eval F1", "gate acc",
        "labels (seed+tasks)",
    )  # fmt: skip

    def f3(x: Any) -> str:
        return f"{x:.3f}" if isinstance(x, int | float) else "-"

    for r in rows:
        ev = r["eval"] or {}
        table.add_row(
            *(f"v{r[k]}" if r[k] is not None else "-" for k in ("version", "parent")),
            # "incremental" beside recipe "rebuild" read as a contradiction: made by the loop.
            {"incremental": "loop"}.get(r["kind"], r["kind"] or "-"),
            str(r["recipe"] or "-"),
            _status(r),
            f3(ev.get("accuracy")) + ("*" if ev.get("stale") else ""),
            f3(ev.get("macro_f1")) + ("*" if ev.get("stale") else ""),
            f3(r["accuracy"]),
            f"{r['seed_used']}+{r['labels_used']}",
        )
    if not rows:
        from services.demo.options import run_dir

        # A demo run keeps its registry in its own folder, not in DATA_DIR/models.
        out.print(
            f"no model versions yet in {stack.model_store or stack.models_dir} (`eddy "
            f"bootstrap` makes v1; a demo run's are under {run_dir(stack.data_dir, '<run>')}: "
            "pass that as --data-dir)",
            highlight=False,
        )
        return
    out.print(table)
    if evaluation:
        out.print(
            f"evaluation set: {evaluation['size']} examples ({evaluation['audit']} audit + "
            f"{evaluation['seed']} seed holdout), the same for every version",
            highlight=False,
        )
        stale = any((r["eval"] or {}).get("stale") for r in rows)
        note = "* = an old version scored on an earlier, smaller set; " if stale else ""
        if any(r.get("pruned_at") for r in rows):
            note += "pruned = weights removed (`eddy prune`, EDDY_REGISTRY_KEEP), history kept; "
        out.print(f"({note}gate acc is each run's own holdout)", highlight=False)
    elif rows:
        out.print("evaluation set: none yet (`eddy evaluate` scores every version)")


def _status(row: dict[str, Any]) -> str:
    """As the console says it: a champion the gate rejected was promoted by hand."""
    if row["status"] == "champion" and row["gate_status"] == "rejected":
        return "champion (gate rejected; promoted by hand)"
    said = f"rolled back (gate: {row['gate_status']})" if row["status"] == "rolled_back" else None
    return (said or str(row["status"])) + (", pruned" if row.get("pruned_at") else "")


def version_number(text: str) -> int:
    """A version as every listing writes it (v7) or bare (7)."""
    digits = text[1:] if text[:1] in ("v", "V") else text
    if not (digits.isascii() and digits.isdecimal()) or int(digits) < 1:
        raise typer.BadParameter(
            f"{text!r} is not a version; give one as 7 or v7", param_hint="'VERSION'"
        )
    return int(digits)


def said_why(reason: str) -> str:
    """A change of champion is an operator's decision: the console asks why, so does this."""
    if not reason.strip():
        raise typer.BadParameter("say why: a reason is required", param_hint="'--reason'")
    return reason.strip()


EventJson = typer.Option(
    False,
    "--json",
    help="Print the models.v1 event it published on stdout (nothing when refused: the reason "
    "is on stderr, exit 1).",
)


@app.command(short_help="Make VERSION the champion (bypasses the gate).")
def promote(
    version: str = typer.Argument(
        ..., help="Version to make champion (7 or v7).", metavar="VERSION"
    ),
    reason: str = typer.Option(
        "manual promotion", help="Recorded in history and models.v1.", callback=said_why
    ),
    data_dir: Path | None = DataDir,
    as_json: bool = EventJson,
) -> None:
    """Make VERSION the champion (bypasses the gate: an operator's decision). Classify
    workers switch within EDDY_MODEL_POLL_S, without restart."""
    from services.registry.open import open_registry
    from services.registry.rollout import check_promotable, person
    from services.registry.rollout import promote as do_promote
    from services.registry.store import RegistryError

    number = version_number(version)
    s = settings(data_dir)
    quiet_change_log()
    try:
        registry = open_registry(s.stack)
        check_promotable(registry, number)  # before the broker: then the error is the only line
    except RegistryError as exc:
        raise fail("promote failed", exc) from None
    with model_events(s.kafka) as publish:
        try:
            event = do_promote(registry, number, reason, publish, by=person("eddy promote"))
        except RegistryError as exc:
            raise fail("promote failed", exc) from None
    changed(event, as_json)


def changed(event: dict[str, Any], as_json: bool) -> None:
    """The change of champion, as a line or as the models.v1 event it published."""
    if as_json:
        print(json.dumps(event, indent=2))
    else:
        say(f"champion: v{event['previous_version']} -> v{event['version']}")


def quiet_change_log() -> None:
    """The command prints the change once; the registry's log line said it again on stderr."""
    logging.getLogger("eddy.registry").setLevel(logging.WARNING)


@app.command(short_help="Make the previous champion the champion again.")
def rollback(
    reason: str = typer.Option(
        "manual rollback", help="Recorded in history and models.v1.", callback=said_why
    ),
    data_dir: Path | None = DataDir,
    as_json: bool = EventJson,
) -> None:
    """Make the previous champion the champion again."""
    from services.registry.open import open_registry
    from services.registry.rollout import person, rollback_target
    from services.registry.rollout import rollback as do_rollback
    from services.registry.store import RegistryError

    s = settings(data_dir)
    quiet_change_log()
    try:
        registry = open_registry(s.stack)
        rollback_target(registry)  # before the broker, as promote
    except RegistryError as exc:
        hint = "`eddy versions` lists them; `eddy promote VERSION` makes any unpruned one champion"
        raise fail("rollback failed", f"{exc} ({hint})") from None
    with model_events(s.kafka) as publish:
        try:
            event = do_rollback(registry, reason, publish, by=person("eddy rollback"))
        except RegistryError as exc:
            raise fail("rollback failed", exc) from None
    changed(event, as_json)
