"""`eddy simulate`: does active learning pay on this data? A label-efficiency report."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import typer

from services.cli.app import DataDir, app, fail, out, say, settings, writable_file
from services.core.settings import STRATEGY_NAMES


def _names(value: str, allowed: tuple[str, ...], what: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise fail(f"unknown {what}", f"{unknown or value!r}; choose from {', '.join(allowed)}", 2)
    return names


def _new_or_empty(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


@app.command(short_help="Label-efficiency report: replay a labelled file, no servers.")
def simulate(
    dataset: Path | None = typer.Option(
        None, "--dataset", help="CSV or JSONL with text and label columns (default: airline)."
    ),
    text_column: str = typer.Option("text", help="The --dataset's column holding the text."),
    label_column: str = typer.Option("label", help="The --dataset's column holding the label."),
    budget: int = typer.Option(480, min=1, help="Routed labels each arm may spend."),
    step: int = typer.Option(60, min=1, help="Labels per training run."),
    seeds: int = typer.Option(3, min=1, help="Seeds (bootstrap, stream order, training)."),
    first_seed: int = typer.Option(1, help="The first seed (seeds run first..first+N-1)."),
    strategies: str = typer.Option(
        "least_confidence,margin,random", help=f"Comma-separated: {', '.join(STRATEGY_NAMES)}."
    ),
    recipe: str = typer.Option(
        "auto", help="auto, warm or rebuild; several comma-separated compare them."
    ),
    window: int = typer.Option(240, min=1, help="Events the router ranks per step."),
    seed_size: int = typer.Option(100, min=10, help="Labelled examples to bootstrap from."),
    test_size: int = typer.Option(1000, min=10, help="Examples never streamed (at most 20%)."),
    audit_share: float = typer.Option(0.1, min=0.0, max=1.0, help="Audit share of the stream."),
    error_rate: float = typer.Option(
        0.0,
        min=0.0,
        max=1.0,
        help="Share of annotator answers (routed and audit) that are a wrong class, as "
        "`eddy demo --error-rate` simulates; the seed stays clean.",
    ),
    min_holdout: int = typer.Option(
        30,
        min=1,
        help="The gate's minimum holdout here (the services use EDDY_GATE_MIN_HOLDOUT, 100): "
        "small, so that every step of a learning curve is judged.",
    ),
    keep_models: Path | None = typer.Option(
        None,
        "--keep-models",
        help="Keep every arm's registry (each version's model and eddy.json) in this new or "
        "empty directory; by default they go to a temporary one, removed at the end.",
    ),
    json_path: Path | None = typer.Option(None, "--json", help="Write the figures as JSON."),
    png: Path | None = typer.Option(None, "--png", help="Write the learning curves as PNG."),
    data_dir: Path | None = DataDir,
) -> None:
    """Replay a labelled file as a stream in one process (no servers) through the router,
    audit sample, trainer and gate the services run; for each strategy and recipe, at the
    same label budget, over several seeds. Prints accuracy by labels spent, the area under
    each learning curve, and how many labels each strategy needs to match random."""
    from services.demo.airline import airline_tweets
    from services.simulate.report import plot, tables
    from services.simulate.run import SimulateOptions
    from services.simulate.run import simulate as run_simulate
    from services.training import datacheck
    from services.training.examples import DatasetError, read_examples

    s = settings(data_dir, log_level="WARNING")
    if keep_models is not None and not _new_or_empty(keep_models):
        raise fail("--keep-models", f"{keep_models} exists and is not an empty directory", 2)
    writable_file(json_path, "--json")
    writable_file(png, "--png")
    opts = SimulateOptions(
        strategies=_names(strategies, STRATEGY_NAMES, "strategy"),
        recipes=_names(recipe, ("auto", "warm", "rebuild"), "recipe"),
        seeds=seeds,
        first_seed=first_seed,
        budget=budget,
        step=step,
        window=window,
        seed_size=seed_size,
        test_size=test_size,
        audit_share=audit_share,
        error_rate=error_rate,
        min_holdout=min_holdout,
        keep_models=keep_models,
    )
    try:
        skipped: Counter[str] = Counter()
        if dataset:
            data = read_examples(dataset, text_column, label_column, skipped=skipped)
        else:
            data = airline_tweets()
        say(f"{dataset or 'airline tweets'}: {datacheck.summary(data, skipped)}")
        for warning in datacheck.warnings(data):
            say(f"warning: {warning}")
        if len({e.label for e in data}) < 2:
            raise DatasetError("one class only: a classifier needs at least two")
        result = run_simulate(s, str(dataset or "airline tweets"), data, opts, say)
    except (DatasetError, ValueError) as exc:
        raise fail("simulate failed", exc) from None
    except KeyboardInterrupt:
        # The arms' temporary models are already removed (the context managers unwound).
        say("interrupted: no report written")
        raise typer.Exit(130) from None
    for table in tables(result):
        out.print(table)
    short = [a for a in result["arms"] if _spent(a) < budget]
    if short:
        say(
            f"note: {len(short)} of {len(result['arms'])} arm(s) spent fewer than --budget "
            f"{budget} routed labels (the stream ran out): lower --budget or give a larger file"
        )
    if json_path:
        json_path.write_text(json.dumps(result, indent=2))
        say(f"wrote {json_path}")
    if png:
        plot(result, png)
        say(f"wrote {png}")
    if keep_models is not None:
        say(f"kept every arm's models in {keep_models}")


def _spent(arm: dict[str, Any]) -> int:
    return max((int(p["labels"]) for p in arm["points"]), default=0)
