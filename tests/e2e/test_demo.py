"""`eddy demo`, small: the whole main job runs, on its own embedded stack, and writes the
report and the learning curve. (The full-size run takes ~10 minutes; see README.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.core.settings import Settings
from tests.helpers import free_port, free_port_run
from tests.lsdata import migrated_label_studio

pytestmark = pytest.mark.e2e


def test_small_demo_writes_report_and_curve(tmp_path: Path, label_studio_template: Path) -> None:
    # Label Studio migrated already (tests/e2e/test_up.py boots a new one as a first run does).
    migrated_label_studio(tmp_path / "data", label_studio_template)
    s = Settings().override(
        stack={"data_dir": tmp_path / "data", "startup_timeout_s": 300},
        kafka={
            "bootstrap": f"127.0.0.1:{free_port()}",
            "partitions": 2,
            "session_timeout_s": 6.0,
            "heartbeat_s": 2.0,
        },
        redis={"url": f"redis://127.0.0.1:{free_port()}/0"},
        label_studio={"url": f"http://127.0.0.1:{free_port()}", "webhook_port": free_port()},
        gateway={"port": free_port()},
        annotation={"ml_backend_port": free_port()},
        console={"port": free_port()},
        metrics={"port": free_port_run(9)},
        gate={"min_holdout": 5},  # a 45-event demo has a handful of audit labels
    )
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "demo",
            "--events",
            "45",
            "--rate",
            "20",
            "--seed-size",
            "30",
            "--seed-holdout",
            "0.2",
            "--eval-size",
            "30",
            "--annotators",
            "2",
            "--annotator-delay",
            "0",
            "--overlap",
            "0.3",
            "--train-every",
            "4",
            "--label-budget",
            "42",  # 30 seed + 12 answers: fewer than the tasks such a run routes
            "--report",
            str(report),
        ],
        env={**os.environ, **s.to_env()},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    data = json.loads(report.read_text())
    versions = data["versions"]
    assert versions[0]["version"] == 1 and versions[0]["status"] == "bootstrap"
    assert len(versions) >= 2, "the final run trains on the labels the annotators gave"
    assert sum(v["champion"] for v in versions) == 1
    for v in versions:
        assert {"version", "accuracy", "macro_f1", "labels_used", "champion"} <= set(v)
        assert 0.0 <= v["accuracy"] <= 1.0
    assert versions[-1]["labels_used"] > 0
    # v1 learned from the seed only; every later version from the seed too (seed+tasks).
    assert versions[0]["labels_used"] == 0 and versions[0]["seed_used"] > 0
    assert all(v["seed_used"] >= versions[0]["seed_used"] for v in versions)
    assert f"{versions[0]['seed_used']}+0" in proc.stdout
    assert data["annotators"]["answered"] > 0 and "consensus" in data
    h = data["human_labels"]
    assert h == {
        "seed": 30,
        "tasks": data["labels"],
        "answers": data["annotators"]["answered"],
        "total": 30 + data["labels"],
        "answers_total": 30 + data["annotators"]["answered"],
    }
    assert f"human labels: {h['total']} (30 seed + {h['tasks']} labelled tasks)" in proc.stdout
    team = data["annotators"]
    assert team["label_budget"] == 42 and h["answers_total"] <= 42, (team, h)
    assert team["budget_spent"] and "the label budget of 42 answers" in proc.stdout, team
    # The budget may run out before or after the 45 events are all sent (2 s at 20/s): the
    # demo says the stream stopped early only when it did.
    assert 0 < data["events_sent"] <= 45
    stopped = f"the stream stopped after {data['events_sent']} of 45 events"
    assert (stopped in proc.stdout) == (data["events_sent"] < 45), proc.stdout[-2000:]
    assert report.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert "held-out accuracy" in proc.stdout
    # v1 is one 8-epoch run; a rebuild is a soup of three 4-epoch runs, recorded as such.
    metas = {
        int(p.parent.name[1:]): json.loads(p.read_text())
        for p in (tmp_path / "data").glob("demo-runs/*/models/v*/eddy.json")
    }
    assert (metas[1]["train"]["members"], metas[1]["train"]["epochs"]) == (1, 8)
    rebuilt = [
        m["train"] for m in metas.values() if (m.get("recipe") or {}).get("name") == "rebuild"
    ]
    assert rebuilt, {v: m.get("recipe") for v, m in metas.items()}
    assert all((t["members"], t["epochs"]) == (3, 4) for t in rebuilt), rebuilt
    # The live view is the output: kafka-python's transient warnings stay out of it.
    assert "kafka." not in proc.stdout + proc.stderr
    assert "wrong by more than 2 points:" in proc.stdout
    # Not a terminal: the live view's last frame ends its line, and a child that stopped on
    # SIGTERM as asked is not reported with an alarming exit status.
    assert "┘stopped" not in proc.stderr and "(exit -15)" not in proc.stderr, proc.stderr[-2000:]
    # The run's versions can be looked at again, from the command it prints.
    again = proc.stdout.split("look again: eddy versions --data-dir ", 1)[1].split("\n", 1)[0]
    assert "disk: this run keeps " in proc.stdout and "(delete those you no" in proc.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "services.cli", "versions", "--json", "--data-dir", again],
        env={**os.environ, **s.to_env()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert [v["version"] for v in json.loads(listed.stdout)] == [v["version"] for v in versions]
