"""Render bench results as a table."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def render(r: dict[str, Any]) -> Table:
    t = Table("measure", "value", title="eddy bench")
    t.add_row(
        f"(a) naive pipeline, one call per event ({r['naive_events']} texts)",
        f"{r['naive_eps']:.1f} events/s",
    )
    for backend, eps in r["bare_eps"].items():
        t.add_row(f"(b) bare model, {backend}", f"{eps:.1f} events/s")
    t.add_row(
        f"(c) stream, {r.get('normalize_workers', 1)} normalize, {r['workers']} classify and "
        f"{r.get('route_workers', 1)} route worker(s) on {r['backend']}",
        f"{r['stream_eps']:.1f} events/s",
    )
    t.add_row("    stream / bare (same backend)", f"{r['stream_to_bare_ratio']:.2f}")
    t.add_row("    stream / naive pipeline", f"{r['stream_to_naive_ratio']:.2f}")
    lat = r["latency_ms"]
    t.add_row(
        f"(d) latency at {r['latency_rate_eps']} events/s, produce -> prediction",
        f"p50 {lat['p50']} ms  p95 {lat['p95']} ms  p99 {lat['p99']} ms  "
        f"(n={int(lat['n'])}, missing {r['latency_missing']})",
    )
    stages = r.get("latency_stages_p50_ms") or {}
    if stages:
        t.add_row("    p50 per hop", "  ".join(f"{k} {v} ms" for k, v in stages.items()))
    sw = r["swap"]
    t.add_row(
        f"(e) promotion v{sw['from_version']} -> v{sw['to_version']} at {sw['rate_eps']} events/s",
        f"stall {sw['stall_ms']} ms (longest gap before: {sw['gap_before_ms']} ms), switch "
        f"{sw['switch_ms']} ms, lost {sw['lost']}, duplicated {sw['duplicated']} "
        f"of {sw['events']}",
    )
    t.add_row(
        "events / batch / token budget / max wait",
        f"{r['events']} / {r['batch_max_size']} / {r['batch_max_tokens']} / "
        f"{r['batch_max_wait_ms']} ms",
    )
    t.add_row(
        "model / device / precision",
        f"v{r['model_version']} / {r['device']} / "
        f"{r['precision']}, {r['torch_threads']} torch threads",
    )
    m = r["machine"]
    t.add_row("machine", f"{m['cpus']} CPUs, {m['platform']}, torch {m['torch']}")
    return t
