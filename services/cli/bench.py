"""`eddy bench`: throughput and latency of the model and the stream."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from services.cli.app import DataDir, app, out, say, settings


@app.command()
def bench(
    events: int = typer.Option(1000, help="Events for the throughput runs."),
    rate: float = typer.Option(
        0.0, help="Events/s for the latency run (0 = half the measured stream throughput)."
    ),
    latency_seconds: float = typer.Option(20.0, help="Length of the latency run."),
    json_path: Path | None = typer.Option(None, "--json", help="Write results as JSON."),
    data_dir: Path | None = DataDir,
) -> None:
    """Measure bare-model throughput, end-to-end stream throughput (broker + Faust + model)
    and produce-to-prediction latency, on a private embedded broker and Redis."""
    from services.bench.run import run_bench

    s = settings(data_dir)
    result = run_bench(
        s,
        events=events,
        rate=rate,
        latency_seconds=latency_seconds,
        say=say,
    )
    from services.bench.report import render

    out.print(render(result))
    if json_path:
        json_path.write_text(json.dumps(result, indent=2))
        say(f"wrote {json_path}")


@app.command("bench-redact")
def bench_redact(
    json_path: Path | None = typer.Option(None, "--json", help="Write results as JSON."),
) -> None:
    """Time PII redaction on adversarial inputs (100 KB and 1 MB of each repeated pattern):
    the time per MB should stay flat as inputs grow."""
    from rich.table import Table

    from services.bench.redact import adversarial

    rows = adversarial()
    table = Table("input", "chars", "seconds", "s per MB")
    for r in rows:
        table.add_row(
            r["input"], f"{r['chars']:,}", f"{r['seconds']:.3f}",
            f"{r['seconds'] / r['chars'] * 1e6:.2f}",
        )  # fmt: skip
    out.print(table)
    if json_path:
        json_path.write_text(json.dumps(rows, indent=2))
        say(f"wrote {json_path}")
