"""`eddy status`: annotators by email where the reconciliation poll found one, versions as
v2, and the exit status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis

from services.cli import status


def test_annotators_are_shown_by_email_and_id(capsys: pytest.CaptureFixture[str]) -> None:
    quality = {"answers": 4, "one_click": 1, "compared": 2, "agree": 2, "agreement": 1.0}
    report: dict[str, Any] = {
        "banner": [],
        "champion": {
            "version": 2,
            "labels": ["negative", "neutral"],
            "evaluation": None,
            "holdout_accuracy": None,
            "estimate": None,
        },
        "workers": {
            "classify": [
                {
                    "host": "h",
                    "pid": 1,
                    "model_version": 2,
                    "backend": "onnx-fp32",
                    "counts": {"ok": 3, "deadletter:schema_violation": 1},
                }
            ]
        },
        "stream": None,
        "runs": [],
        "labels": {
            "counts": {"labelled": 4, "annotations": 8, "used": 0},
            "backlog_total": 0,
            "awaiting_consensus": 0,
            "annotators": {"7": quality, "9": {**quality, "compared": 0}},
            "annotator_emails": {"7": "ann7@example.com"},
        },
    }
    status._print(report)
    lines = capsys.readouterr().out.splitlines()
    assert "champion: v2 (classes: negative, neutral)" in lines, "not a Python list"
    assert not any("past its log end" in line for line in lines)
    rows = [line.strip("│").split("│")[0].strip() for line in lines]
    assert "ann7@example.com (7)" in rows
    assert "9" in rows, "an annotator with no email found stays known by id"
    cells = [c.strip() for line in lines for c in line.split("│")]
    assert "v2 onnx-fp32" in cells, "a version reads v2, as in every other view"
    assert "deadletter:schema_violation=1 ok=3" in cells, "counts read as key=value, not JSON"
    assert not any(line.startswith("training now") for line in lines), "idle: nothing said"
    holder = {"by": "eddy train (ops@vm)", "host": "vm", "pid": 7, "for_s": 95.2}
    status._print({**report, "cadence": {"running": holder}})
    lines = capsys.readouterr().out.splitlines()
    assert "training now: for 95 s (eddy train (ops@vm) on vm, pid 7)" in lines


def test_status_exits_1_on_what_would_page_not_on_warnings() -> None:
    quiet: dict[str, Any] = {"missing_roles": [], "errors": {}, "banner": []}
    assert not status.unhealthy(quiet)
    stale = {**quiet, "banner": [{"key": "EddyTrainerStale", "message": "..."}]}
    assert not status.unhealthy(stale)  # a warning: the console shows it, nothing pages
    for key in ("EddyNoChampion", "EddyLabelStudioUnreachable", "EddyConsumerStuck"):
        assert status.unhealthy({**quiet, "banner": [{"key": key, "message": "..."}]}), key
    assert status.unhealthy({**quiet, "missing_roles": ["classify"]})
    assert status.unhealthy({**quiet, "errors": {"kafka": "BrokerUnavailable"}})


def test_redis_down_still_names_the_champion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On call with Redis down, `eddy status` says so in one line, names the champion from
    the registry and says what it cannot know, and exits 1 (it pages)."""
    from services.core.settings import Settings

    registry = tmp_path / "models"
    (registry / "v3").mkdir(parents=True)
    meta = {"version": 3, "labels": ["neg", "pos"], "metrics": {"accuracy": 0.8125}}
    (registry / "v3" / "eddy.json").write_text(json.dumps(meta))
    (registry / "CHAMPION").write_text("3")
    s = Settings().override(stack={"data_dir": tmp_path}, redis={"url": "redis://127.0.0.1:1/0"})
    report = status._without_redis(s, redis.exceptions.ConnectionError("refused"))
    assert status.unhealthy(report)
    status._print(report)
    out = capsys.readouterr().out
    assert "Redis at" not in out, "on stderr, as every command's dependency line"
    assert "champion: v3 (classes: neg, pos)" in out
    assert "holdout accuracy 0.812" in out and "kept in Redis" in out
    assert "unknown without Redis: workers" in out


def test_a_group_committed_past_the_log_end_is_said_and_pages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The broker lost records a group had processed: it reads nothing new there until the
    log passes its offset (a failure trial: classify predicted nothing, and status said lag
    0, exit 0)."""
    rows = [
        {"group": "eddy-classify", "topic": "interactions.v1", "partition": 3, "end": 131,
         "committed": 788, "lag": 131},
        {"group": "eddy-classify", "topic": "interactions.v1", "partition": 0, "end": 90,
         "committed": 90, "lag": 0},
    ]  # fmt: skip
    report: dict[str, Any] = {
        "banner": [],
        "champion": None,
        "workers": {},
        "missing_roles": [],
        "stream": {"groups": {"eddy-classify": {"lag": 131}}, "partitions": rows},
        "runs": [],
        "labels": None,
    }
    status._print(report)
    out = capsys.readouterr().out
    assert "eddy-classify committed 788 on interactions.v1[3], past its log end 131" in out
    assert "[0]" not in out
    assert status.unhealthy(report)
    assert not status.unhealthy({**report, "stream": {"partitions": rows[1:]}})
