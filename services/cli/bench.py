"""`eddy bench`: throughput and latency of the model and the stream."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from services.cli.app import DataDir, app, fail, out, say, settings, writable_file


@app.command(short_help="Measure throughput and latency: naive pipeline, bare model, the stream.")
def bench(
    events: int = typer.Option(1000, min=10, help="Events for the throughput runs."),
    rate: float = typer.Option(
        0.0, min=0.0, help="Events/s for the latency run (0 = half the measured stream throughput)."
    ),
    latency_seconds: float = typer.Option(20.0, min=1.0, help="Length of the latency run."),
    workers: int = typer.Option(
        1, min=1, help="Classify workers in one consumer group (partitions raised to N)."
    ),
    normalize_workers: int = typer.Option(
        1, min=1, help="Normalize workers in their consumer group (partitions raised to N)."
    ),
    route_workers: int = typer.Option(
        1, min=1, help="Route workers in their consumer group (partitions raised to N)."
    ),
    naive_events: int = typer.Option(200, min=10, help="Events for the naive pipeline."),
    swap_seconds: float = typer.Option(
        20.0,
        min=6.0,
        help="Length of the promotion-under-load run (the promotion is a third of the way; "
        "workers notice it within EDDY_MODEL_POLL_S).",
    ),
    device: str | None = typer.Option(
        None, help="cpu, cuda or auto (default EDDY_DEVICE); the workers use it too."
    ),
    backend: str | None = typer.Option(
        None, help="auto, torch, onnx-fp32 or onnx-int8 (default EDDY_BACKEND) for the stream."
    ),
    json_path: Path | None = typer.Option(None, "--json", help="Write results as JSON."),
    data_dir: Path | None = DataDir,
) -> None:
    """Measure, in one run on the same model and texts: (a) a naive per-event Hugging Face
    pipeline, (b) the bare model on each backend, (c) the stream end to end (broker + Faust +
    model, --workers classify workers), (d) produce-to-prediction latency at half the stream's
    throughput, (e) a promotion under load (stall, lost and duplicated events). Runs on a
    private embedded broker and Redis, with a copy of your champion."""
    from pydantic import ValidationError

    from services.bench.run import run_bench

    writable_file(json_path, "--json")
    model: dict[str, str] = {}
    if device:
        model["device"] = device
    if backend:
        model["backend"] = backend
    try:
        s = settings(data_dir).override(model=model) if model else settings(data_dir)
    except ValidationError as exc:
        why = "; ".join(f"--{e['loc'][-1]}: {e['msg']}" for e in exc.errors())
        raise fail("bad option", why, 2) from None
    from services.stack.process import StackError

    try:
        result = run_bench(
            s,
            events=events,
            rate=rate,
            latency_seconds=latency_seconds,
            say=say,
            workers=workers,
            normalize_workers=normalize_workers,
            route_workers=route_workers,
            naive_events=naive_events,
            swap_seconds=swap_seconds,
        )
    except (StackError, RuntimeError) as exc:
        raise fail("bench failed", exc) from None
    from services.bench.report import render

    out.print(render(result))
    if json_path:
        json_path.write_text(json.dumps(result, indent=2))
        say(f"wrote {json_path}")


@app.command("bench-redact", short_help="Time PII redaction on adversarial inputs.")
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
