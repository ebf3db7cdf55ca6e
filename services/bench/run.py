"""`eddy bench`: in one run, on the same model and texts, (a) a naive per-event Hugging Face
pipeline, (b) the bare model on each backend, (c) the stream (a private embedded broker +
Redis + the real workers, N classify workers in one group), (d) produce-to-prediction latency
at half the stream's throughput, (e) a promotion under load."""

from __future__ import annotations

import os
import platform
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from services.bench.champion import private_champion
from services.bench.measure import bare_by_backend, naive_pipeline_eps
from services.bench.probe import StreamProbe, stage_breakdown
from services.bench.stats import latency_summary
from services.bench.swap import promotion_under_load
from services.core.settings import Settings
from services.demo.airline import airline_tweets
from services.model.device import select_placement
from services.ops.heartbeats import replicas
from services.stack.probes import free_port
from services.stack.up import Stack

Say = Callable[[str], None]


def bench_settings(settings: Settings, tmp: Path, run: str, workers: int) -> Settings:
    """A private broker (topics in memory: the bench measures Eddy, not the broker's
    storage), Redis, namespace and registry."""
    return settings.override(
        stack={
            "data_dir": tmp,
            "registry_dir": tmp / "models",
            "with_label_studio": False,
            "model_store": "",
            "broker_storage": "memory://tansu/",
        },
        kafka={
            "bootstrap": f"127.0.0.1:{free_port()}",
            "topic_prefix": f"bench{run}.",
            "app_id": f"eddy-bench-{run}",
            "session_timeout_s": 6.0,
            "heartbeat_s": 2.0,
            "partitions": max(settings.kafka.partitions, workers),
        },
        redis={"url": f"redis://127.0.0.1:{free_port()}/0"},
        gateway={"port": free_port()},
        console={"port": free_port(), "token": secrets.token_urlsafe(24)},
        metrics={"port": 0},  # the bench measures speed; a running stack may hold the ports
    )


def _serving_backend(s: Settings, counts: dict[str, int]) -> str:
    """The backend each classify worker chose, from their heartbeats (every 2 s), once every
    replica (``counts``: role -> processes) is up: a late one would rebalance its group in the
    middle of a measurement."""
    deadline = time.monotonic() + 15
    while True:
        beats = replicas(s.redis)
        classify = [b for b in beats if b.get("role") == "classify" and b.get("backend")]
        chosen = sorted({str(b["backend"]) for b in classify})
        ready = len(classify) >= counts["classify"] and all(
            sum(b.get("role") == role for b in beats) >= n for role, n in counts.items()
        )
        if ready or time.monotonic() > deadline:
            return ",".join(chosen) or "unknown"
        time.sleep(0.5)


def run_bench(
    settings: Settings,
    *,
    events: int,
    rate: float,
    latency_seconds: float,
    say: Say,
    workers: int = 1,
    naive_events: int = 200,
    swap_seconds: float = 20.0,
    normalize_workers: int = 1,
    route_workers: int = 1,
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    counts = {"normalize": normalize_workers, "classify": workers, "route": route_workers}
    parts = max(counts.values())
    s = bench_settings(settings, Path(tempfile.mkdtemp(prefix="eddy-bench-")), run, parts)
    champ = private_champion(settings, s, say)
    tweets = [e.text for e in airline_tweets()]
    texts = tweets[:events]
    placement = select_placement(s.model.device, s.model.precision)
    if s.model.torch_threads:
        torch.set_num_threads(s.model.torch_threads)

    say(f"(a) naive pipeline, one call per event: {min(naive_events, len(texts))} texts")
    naive = naive_pipeline_eps(champ, placement, texts[:naive_events])
    say(f"    {naive:.1f} events/s")
    say(f"(b) bare model v{champ.version} per backend: {len(texts)} texts")
    bare = bare_by_backend(s, champ, placement, texts)
    say("    " + ", ".join(f"{k} {v:.1f} events/s" for k, v in bare.items()))

    stack = Stack(
        s,
        external=False,
        say=lambda m: say(f"    {m}"),
        replicas=counts,
    )
    try:
        stack.start()
        probe = StreamProbe(s)
        try:
            probe.warm_up(tweets[-64:], run)
            backend = _serving_backend(s, counts)
            say(
                f"(c) stream: {len(texts)} events, {normalize_workers} normalize, {workers} "
                f"classify and {route_workers} route worker(s) on {backend}"
            )
            stream_eps = probe.throughput(texts, run, max(bare.values()))
            say(f"    {stream_eps:.1f} events/s")
            lat_rate = rate or round(stream_eps * 0.5, 1)
            say(f"(d) latency at {lat_rate:.1f} events/s for {latency_seconds:.0f}s")
            n_lat = int(max(lat_rate, 1) * latency_seconds) + 200
            lat_texts = (tweets[events:] + tweets)[:n_lat]
            sent, lat_ms = probe.latency(lat_texts, run, lat_rate, latency_seconds)
            stages = stage_breakdown(sent, probe.watcher)
            latency = latency_summary(lat_ms)
            say(f"    p50 {latency['p50']} ms, p95 {latency['p95']} ms, p99 {latency['p99']} ms")
            say(f"(e) a promotion under load: {lat_rate:.1f} events/s for {swap_seconds:.0f}s")
            n_swap = int(max(lat_rate, 1) * swap_seconds) + 200
            swap = promotion_under_load(
                s, probe, (tweets * 2)[:n_swap], run, lat_rate, swap_seconds
            )
            say(
                f"    stall {swap['stall_ms']} ms, switch {swap['switch_ms']} ms, "
                f"lost {swap['lost']}, duplicated {swap['duplicated']}"
            )
        finally:
            probe.close()
    finally:
        stack.stop()
    first = backend.split(",")[0]
    ref_eps = bare.get(first) or bare["torch"]
    return {
        "naive_eps": round(naive, 1),
        "bare_eps": bare,
        "backend": backend,
        "stream_eps": round(stream_eps, 1),
        "stream_to_bare_ratio": round(stream_eps / ref_eps, 3),
        "stream_to_naive_ratio": round(stream_eps / naive, 2),
        "latency_ms": latency,
        "latency_stages_p50_ms": stages,
        "latency_rate_eps": lat_rate,
        "latency_events": len(sent),
        "latency_missing": len(sent) - len(lat_ms),
        "swap": swap,
        "workers": workers,
        "normalize_workers": normalize_workers,
        "route_workers": route_workers,
        "device": str(placement.device),
        "events": len(texts),
        "naive_events": min(naive_events, len(texts)),
        "batch_max_size": s.model.batch_max_size,
        "batch_max_tokens": s.model.batch_max_tokens,
        "batch_max_wait_ms": s.model.batch_max_wait_ms,
        "max_length": s.model.max_length,
        "model_version": champ.version,
        "precision": placement.precision,
        "torch_threads": torch.get_num_threads(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "torch": torch.__version__,
        },
    }
