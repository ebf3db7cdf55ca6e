"""`eddy bench` end to end, small: every measure of the issue in its JSON, the user's registry
untouched, and a promotion under load that loses and duplicates nothing. Speeds are quoted
in the README from full runs, never asserted (the machine is shared and noisy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.core.settings import Settings
from services.registry.store import ModelRegistry

pytestmark = pytest.mark.e2e


def test_bench_measures_everything_on_a_copy_of_the_champion(
    tmp_path: Path, settings: Settings, champion: int
) -> None:
    registry = ModelRegistry(settings.stack.models_dir)
    before = (registry.versions(), registry.champion_version())
    out = tmp_path / "bench.json"
    args = ["--events", "160", "--naive-events", "20", "--latency-seconds", "3"]
    args += ["--swap-seconds", "9", "--rate", "20", "--json", str(out)]
    # Replicas share one group each: nothing lost or doubled.
    args += ["--normalize-workers", "2", "--route-workers", "2"]
    env = {**os.environ, **settings.to_env(), "EDDY_MODEL_POLL_S": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "bench", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    r = json.loads(out.read_text())
    for key in ("naive_eps", "stream_eps", "stream_to_bare_ratio", "workers", "device"):
        assert r[key], key
    assert set(r["bare_eps"]) >= {"torch"} and r["backend"] == "torch"
    assert r["normalize_workers"] == 2 and r["route_workers"] == 2
    assert {"p50", "p95", "p99"} <= set(r["latency_ms"]) and r["latency_missing"] == 0
    swap = r["swap"]
    assert swap["lost"] == 0 and swap["duplicated"] == 0, swap
    assert swap["to_version"] == swap["from_version"] + 1 and swap["switch_ms"] is not None
    assert "(e) promotion" in done.stdout
    # The bench promoted a version in its own registry, never in the user's.
    assert (registry.versions(), registry.champion_version()) == before
