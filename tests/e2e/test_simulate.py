"""`eddy simulate` as a user runs it: a small replay of a labelled CSV, the table, the JSON in
the documented shape and the learning-curve PNG."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from services.demo.airline import airline_tweets


def test_simulate_small_run_writes_table_json_and_png(tmp_path: Path) -> None:
    data = tmp_path / "tweets.csv"
    tweets = airline_tweets()
    random.Random(4).shuffle(tweets)
    with data.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows((e.text, e.label) for e in tweets[:400])
    out, png, models = tmp_path / "sim.json", tmp_path / "sim.png", tmp_path / "models"
    (tmp_path / "tmp").mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(tmp_path / "tmp"),
        "EDDY_DATA_DIR": str(tmp_path / "d"),
        "EDDY_BOOTSTRAP_EPOCHS": "2",
        "EDDY_TRAINER_EPOCHS": "1",
        "EDDY_TORCH_THREADS": "1",
    }
    r = subprocess.run(
        [sys.executable, "-m", "services.cli", "simulate", "--dataset", str(data),
         "--seeds", "1", "--budget", "20", "--step", "10", "--window", "40",
         "--seed-size", "40", "--test-size", "60", "--strategies", "margin,random",
         "--recipe", "warm", "--min-holdout", "5", "--error-rate", "0.3",
         "--json", str(out), "--png", str(png), "--keep-models", str(models)],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert "labels to match random" in r.stdout.replace("\n", " ") or "match" in r.stdout
    result = json.loads(out.read_text())
    assert result["dataset"] == str(data) and result["test_size"] == 60
    assert result["options"]["min_holdout"] == 5
    assert result["options"]["error_rate"] == 0.3
    # The simulated annotators' mistakes, as the demo's: about 30% of ~28 answers per arm.
    assert all(0 < arm["wrong_labels"] < 20 for arm in result["arms"])
    assert {(a["strategy"], a["seed"]) for a in result["arms"]} == {("margin", 1), ("random", 1)}
    for arm in result["arms"]:
        assert [p["labels"] for p in arm["points"]] == [0, 10, 20]
        assert all({"labels", "accuracy", "macro_f1"} <= set(p) for p in arm["points"])
        assert len(arm["runs"]) == 2 and all(run["recipe"] == "warm" for run in arm["runs"])
        # Every decision is checked on the test set: the champion it was judged against is
        # the previous point, and the difference decides whether it was wrong.
        for before, run in zip(arm["points"][:-1], arm["runs"], strict=True):
            if run["outcome"] not in ("promoted", "rejected"):
                continue
            assert run["champion_test_accuracy"] == pytest.approx(before["accuracy"], abs=1e-4)
            assert run["test_diff"] == pytest.approx(
                run["challenger_test_accuracy"] - run["champion_test_accuracy"], abs=2e-4
            )
            promoted = run["outcome"] == "promoted"
            assert run["wrong"] == (
                run["test_diff"] < -0.02 if promoted else run["test_diff"] > 0.02
            )
    assert set(result["summary"]) == {"margin", "random"}
    assert {"auc", "labels_to_match_random"} <= set(result["summary"]["margin"])
    decided = [run for run in result["arms"][0]["runs"] if "wrong" in run]
    margin = result["summary"][result["arms"][0]["strategy"]]
    assert margin["gate_decisions"] == len(decided) > 0
    assert f"{margin['gate_wrong']} of {margin['gate_decisions']}" in r.stdout  # the table's cell
    assert png.stat().st_size > 10_000
    # The models stay where asked (to study them), and nothing is left in the temp dir.
    assert (models / "margin-warm-1" / "v2" / "eddy.json").is_file()
    assert not list((tmp_path / "tmp").glob("eddy-simulate-*"))
    again = subprocess.run(
        [sys.executable, "-m", "services.cli", "simulate", "--keep-models", str(models)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 2
    assert "exists and is not an empty directory" in " ".join((again.stdout + again.stderr).split())
