"""Every process's metrics as the process registers them, checked by promtool, and the
deploy/ monitoring files (alert rules, their tests, the scrape config and the Grafana
dashboard) checked against those names and by promtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest

from services.annotation.webhook_metrics import WebhookMetrics
from services.app.console import console_registry
from services.app.trainer_metrics import TrainerMetrics
from services.inference.metrics import InferenceMetrics
from services.ingest.gateway_metrics import GatewayMetrics
from services.ops.collector import ReadModelCollector
from services.routing.metrics import RouteMetrics
from services.runtime.metrics import StageMetrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# Exported by the ops console's read model (from its latest sample; any sample names them all).
READ_MODEL = {f.name for f in ReadModelCollector(lambda: {"champion": None}).collect()}


def promtool(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: scripts/setup installs Debian's prometheus package")
    return subprocess.run(["promtool", *args], input=stdin, capture_output=True, timeout=60)


def registries() -> dict[str, CollectorRegistry]:
    """Each process's registry, built as the process builds it, after some traffic."""
    out: dict[str, CollectorRegistry] = {}
    for role in ("normalize", "annotate"):
        stage = StageMetrics(role)
        stage.inc("ok", 3)
        stage.deadletter("invalid_json")
        out[role] = stage.registry
    classify = StageMetrics("classify")
    inference = InferenceMetrics(classify.registry)
    inference.serving(1)
    inference.serving(2)
    inference.batch(4, 0.05)
    inference.prediction("chat", "complaint", 0.93, 0.4)
    classify.inc("ok")
    out["classify"] = classify.registry
    route = StageMetrics("route")
    RouteMetrics(route.registry).decided("chat", "routed")
    out["route"] = route.registry
    gateway = GatewayMetrics()
    gateway.request(202, 0.01)
    gateway.accepted("chat", 2)
    out["gateway"] = gateway.registry
    webhook = WebhookMetrics()
    webhook.receipt("ANNOTATION_CREATED", "stored")
    webhook.receipt("made-up", "ignored")
    out["webhook"] = webhook.registry
    trainer = TrainerMetrics(60.0, 1000.0)
    trainer.ran("promoted", 1000.0, 1100.0)
    trainer.failed(1200.0)
    out["trainer"] = trainer.registry
    out["console"] = console_registry(lambda: {"champion": None})
    return out


def names(registry: CollectorRegistry) -> set[str]:
    return {s.name for family in registry.collect() for s in family.samples}


def test_every_process_exposition_passes_promtool_and_keeps_one_dimension_per_label() -> None:
    for process, registry in registries().items():
        text = generate_latest(registry)
        check = promtool("check", "metrics", stdin=text)
        assert (check.returncode, check.stdout + check.stderr) == (0, b""), process
        assert b'eddy_build_info{version="' in text, process
        assert b"deadletter:" not in text, process  # the reason is a label of its own
    got = {p: names(r) for p, r in registries().items()}
    classify = generate_latest(registries()["classify"]).decode()
    assert 'eddy_model_info{version="2"} 1.0' in classify and 'version="1"' not in classify
    assert {s for s in got["classify"] if "route" in s or "gateway" in s} == set()
    assert not any("inference" in s or "prediction" in s for s in got["normalize"])
    assert not any("_bucket" in s for p in ("normalize", "route", "annotate") for s in got[p])


def test_a_completed_check_clears_a_trainer_failure_and_history_sets_the_last_run() -> None:
    from services.training.runs import last_trained

    def value(m: TrainerMetrics, name: str) -> float:
        got = m.registry.get_sample_value(name)
        assert got is not None, name
        return got

    m = TrainerMetrics(60.0, 1000.0)
    m.failed(1200.0)  # a check that timed out (Redis paused)
    assert value(m, "eddy_trainer_last_failure_timestamp_seconds") > value(
        m, "eddy_trainer_last_ok_timestamp_seconds"
    )
    m.ran("skipped", 1250.0, 1251.0)  # the next check completes: no run needed, no failure
    assert value(m, "eddy_trainer_last_ok_timestamp_seconds") == 1251.0
    assert value(m, "eddy_trainer_last_run_timestamp_seconds") == 0.0
    # `eddy train`'s run (or one before a restart), read from the run history, newest first.
    runs: list[dict[str, Any]] = [
        {"outcome": "skipped", "started_at": "2026-12-06T10:05:00.000Z"},
        {"outcome": "rejected", "started_at": "2026-12-06T10:00:00.000Z", "duration_s": 90.0,
         "ended_at": "2026-12-06T10:02:00.500Z"},
        {"outcome": "promoted", "started_at": "2026-12-06T09:00:00.000Z", "duration_s": 60.0},
    ]  # fmt: skip
    last = last_trained(runs)
    assert last == (datetime(2026, 12, 6, 10, 2, 0, 500000, tzinfo=UTC).timestamp(), 120.5)
    m.trained(*last)
    m.trained(1000.0, 5.0)  # an older one does not go back
    assert value(m, "eddy_trainer_last_run_timestamp_seconds") == last[0]
    assert value(m, "eddy_trainer_last_run_duration_seconds") == 120.5
    # Recorded before ended_at existed: its start plus its duration; no zone written: UTC.
    older = last_trained(runs[2:])
    assert older == (datetime(2026, 12, 6, 9, 1, tzinfo=UTC).timestamp(), 60.0)
    naive = {"outcome": "promoted", "started_at": "2026-12-06T09:00:00", "duration_s": 60.0}
    assert last_trained([naive]) == older
    damaged = {"outcome": "promoted", "started_at": "yesterday"}
    assert last_trained([damaged, *runs[2:]]) == older  # skipped, not the end of the search
    assert last_trained(runs[:1]) is None


def test_the_webhook_counts_a_strangers_action_as_other() -> None:
    text = generate_latest(registries()["webhook"]).decode()
    assert 'eddy_webhook_receipts_total{action="other",outcome="ignored"} 1.0' in text
    assert 'eddy_labels_stored_total{source="webhook"} 0.0' in text


def _exprs() -> dict[str, str]:
    rules = yaml.safe_load((DEPLOY / "prometheus/alerts.yml").read_text())
    out = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"]}
    dashboard = json.loads((DEPLOY / "grafana/eddy-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            out[f"panel {panel['id']} {target['refId']}"] = target["expr"]
    return out


def test_alerts_and_dashboard_use_only_metrics_that_exist() -> None:
    known = READ_MODEL | {"up"} | {n for r in registries().values() for n in names(r)}
    for where, expr in _exprs().items():
        used = set(re.findall(r"\beddy_[a-z0-9_]+", expr))
        assert used <= known, f"{where}: {sorted(used - known)}"


def test_every_console_metric_is_on_the_dashboard_or_alerted_on() -> None:
    """The console's read model is the dashboard's data: a metric neither charts nor alerts
    on is one ops cannot see in Grafana (the drift from the training mix had no panel)."""
    used = {n for expr in _exprs().values() for n in re.findall(r"\beddy_[a-z0-9_]+", expr)}
    assert READ_MODEL - used == set(), sorted(READ_MODEL - used)


def test_promtool_checks_the_rules_their_tests_the_config_and_the_dashboard_queries(
    tmp_path: Path,
) -> None:
    for args in (
        ("check", "rules", str(DEPLOY / "prometheus/alerts.yml")),
        ("test", "rules", str(DEPLOY / "prometheus/alerts_test.yml")),
        ("check", "config", str(DEPLOY / "prometheus/prometheus.yml")),
    ):
        run = promtool(*args)
        assert run.returncode == 0, (args, run.stdout + run.stderr)
    # promtool parses PromQL only in rules: each dashboard query as a recording rule.
    records = [
        {"record": f"dashboard:query_{i}", "expr": expr.replace("$channel", ".*")}
        for i, (where, expr) in enumerate(_exprs().items())
        if where.startswith("panel")
    ]
    rules = tmp_path / "dashboard.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": records}]}))
    run = promtool("check", "rules", str(rules))
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_alert_has_a_promtool_test() -> None:
    tests = yaml.safe_load((DEPLOY / "prometheus/alerts_test.yml").read_text())["tests"]
    tested = {t["alertname"] for case in tests for t in case.get("alert_rule_test", [])}
    alerts = {n for n in _exprs() if not n.startswith("panel")}
    assert alerts <= tested, sorted(alerts - tested)


def _receiver_examples(config: str) -> str:
    """The config with its commented receiver examples in force (the "# key:" lines)."""
    head, _, receivers = config.partition("\nreceivers:\n")
    lines = []
    for line in receivers.splitlines():
        example = re.match(r"^    # (\s*(?:- )?[a-z_]+:.*)$", line)
        if example:
            lines.append("    " + example.group(1))
        elif not line.lstrip().startswith("#"):
            lines.append(line)
    return head + "\nreceivers:\n" + "\n".join(lines) + "\n"


def test_alertmanager_takes_the_config_and_each_receiver_example(tmp_path: Path) -> None:
    if shutil.which("amtool") is None:
        pytest.fail("amtool is missing: scripts/setup installs Debian's prometheus-alertmanager")
    shipped = DEPLOY / "alertmanager/alertmanager.yml"
    examples = tmp_path / "examples.yml"
    examples.write_text(_receiver_examples(shipped.read_text()))
    (ops,) = yaml.safe_load(examples.read_text())["receivers"]
    assert {"pagerduty_configs", "slack_configs", "webhook_configs"} <= set(ops)
    for path in (shipped, examples):
        run = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, timeout=60)
        assert run.returncode == 0, (path.name, run.stdout + run.stderr)
    # Prometheus sends its alerts there; nothing is inhibited (an alert that held others back
    # would hide the one naming the cause).
    prom = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    (am,) = prom["alerting"]["alertmanagers"]
    assert am["static_configs"][0]["targets"] == ["alertmanager:9093"]
    assert "inhibit_rules" not in yaml.safe_load(shipped.read_text())


def test_the_dashboard_takes_its_datasource_from_a_variable() -> None:
    dashboard = json.loads((DEPLOY / "grafana/eddy-dashboard.json").read_text())
    (ds,) = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    assert ds["name"] == "DS_PROMETHEUS" and ds["query"] == "prometheus"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
    titles = {p["title"] for p in dashboard["panels"] if p["type"] == "row"}
    assert titles == {"Model", "Cadence", "Labels", "Stream", "Drift"}
