"""The read model's pure parts: the stream window, cadence, the model timeline, the banner."""

from __future__ import annotations

from typing import Any

from services.ops.banner import banner
from services.ops.cadence import cadence
from services.ops.stream import StreamWindow, decisions_since, epoch, unsure_share
from services.ops.timeline import champion_series, scored, training_mix, version_entry

NOW = epoch("2026-12-01T10:00:00Z") or 0.0


def _pred(i: int, channel: str, label: str, at: str, received: str) -> dict[str, object]:
    return {"event_id": f"e{i}", "channel": channel, "label": label, "confidence": 0.7,
            "model_version": 2, "predicted_at": at, "received_at": received}  # fmt: skip


def test_stream_window_rates_routed_share_latency_and_dead_letters() -> None:
    w = StreamWindow(window=10)
    for i in range(20):
        w.add("prediction", _pred(i, "chat", "negative", "2026-12-01T09:59:30Z",
                                  "2026-12-01T09:59:29.5Z"))  # fmt: skip
    for i in range(15, 20):
        w.add("review", {"event_id": f"e{i}", "channel": "chat", "sample": "routed"})
    w.add("review", {"event_id": "e19", "channel": "chat", "sample": "audit"})
    w.add("deadletter", {"stage": "normalize", "reason": "invalid_json", "failed_at": "x"})
    w.add("deadletter", {"stage": "normalize", "reason": "invalid_json"})
    stats = w.channel_stats(NOW)["chat"]
    assert stats["window"] == 10 and stats["routed"] == 5 and stats["routed_share"] == 0.5
    assert stats["predictions_per_s"] == round(20 / 60, 3)
    assert w.latency(NOW) == {"n": 20, "p50_s": 0.5, "p99_s": 0.5}
    # Five minutes after the last prediction there is no current latency to show.
    assert w.latency(NOW + 300) == {"n": 0, "p50_s": None, "p99_s": None}
    assert w.deadletter_counts() == [{"stage": "normalize", "reason": "invalid_json", "count": 2}]
    cur, prev = w.windows("chat")
    assert len(cur) == 10 and len(prev) == 10
    assert w.samples == {"routed": 5, "audit": 1}


def test_cadence_progress_failure_and_staleness() -> None:
    runs: list[dict[str, Any]] = [{"outcome": "skipped", "started_at": "2026-12-01T09:59:00Z"},
            {"outcome": "promoted", "started_at": "2026-12-01T09:00:00Z", "challenger_version": 3,
             "duration_s": 200, "new_labels": 120}]  # fmt: skip
    trig = {"new_labels": 30, "needed": 120, "reason": "30/120 new label(s)"}
    beat = {"last_check_at": NOW - 20, "next_check_at": NOW + 40}
    c = cadence(runs, trig, beat, 60.0, 0.0, NOW)
    assert c["last_run"]["challenger_version"] == 3 and c["since_last_run_s"] == 3600.0
    assert c["trigger"]["progress"] == 0.25 and c["next_check_in_s"] == 40.0
    assert not c["stale"] and not c["failing"]
    failed = {**beat, "last_failure": {"at": NOW - 10, "reason": "RuntimeError: boom"}}
    assert cadence(runs, trig, failed, 60.0, 0.0, NOW)["failing"]
    # A later check that completed (no run needed) clears it: the trainer works again.
    recovered = {**failed, "last_ok_at": NOW - 5}
    assert not cadence(runs, trig, recovered, 60.0, 0.0, NOW)["failing"]
    assert cadence(runs, trig, {**failed, "last_ok_at": NOW - 15}, 60.0, 0.0, NOW)["failing"]
    old = {"last_check_at": NOW - 500}
    assert cadence(runs, trig, old, 60.0, 0.0, NOW)["stale"]  # 3 x 60 s
    assert not cadence(runs, trig, old, 60.0, 600.0, NOW)["stale"]
    assert cadence([], trig, None, 60.0, 0.0, NOW)["stale"]
    assert not cadence([], trig, {"started_at": NOW - 30}, 60.0, 0.0, NOW)["stale"]
    assert cadence([], trig, {"started_at": NOW - 300}, 60.0, 0.0, NOW)["stale"]
    assert c["running"] is None and "running" not in c["trigger"]


def test_cadence_names_the_run_in_progress() -> None:
    holder = {"by": "eddy train (ops@vm)", "since": NOW - 95, "host": "vm", "pid": 7}
    trig = {"new_labels": 0, "needed": 50, "running": holder}
    c = cadence([], trig, {"last_check_at": NOW - 100}, 60.0, 0.0, NOW)
    assert c["running"] == {**holder, "for_s": 95.0}
    assert "running" not in c["trigger"], "said once, at the cadence's top"
    # An older Eddy's lock (a random token): a run, by someone unknown, for unknown time.
    unknown = {"by": None, "since": None, "host": None, "pid": None}
    c = cadence([], {**trig, "running": unknown}, None, 60.0, 0.0, NOW)
    assert c["running"]["for_s"] is None


def test_timeline_scores_with_wilson_interval_and_champion_series() -> None:
    evaluation = {"versions": {"1": {"accuracy": 0.7, "n": 400}, "2": {"accuracy": 0.8, "n": 400}}}
    s = scored(evaluation, 2)
    assert s and s["low"] < 0.8 < s["high"] and round(s["high"] - s["low"], 2) == 0.08
    assert scored(evaluation, 3) is None
    history = [
        {"type": "bootstrapped", "version": 1, "at": "a"},
        {"type": "promoted", "version": 2, "previous_version": 1, "at": "b"},
        {"type": "rolled_back", "version": 1, "previous_version": 2, "at": "c"},
    ]
    series = champion_series(history, evaluation)
    assert [p["version"] for p in series] == [1, 2, 1]
    assert series[1]["accuracy"] == 0.8
    mix = training_mix({"data": {"train_per_label": {"a": 3, "b": 1}}})
    assert mix == {"a": 0.75, "b": 0.25}
    assert training_mix({}) is None


def test_unsure_share_over_a_window_of_route_decisions() -> None:
    before = {"chat": {"confident": 100, "routed": 10, "audit": 5}}
    now = {"chat": {"confident": 110, "routed": 100, "audit": 9, "outranked": 80},
           "ads": {"confident": 3}}  # fmt: skip
    recent = decisions_since(before, now)
    assert recent == {"chat": {"confident": 10, "routed": 90, "audit": 4, "outranked": 80},
                      "ads": {"confident": 3}}  # fmt: skip
    assert unsure_share(recent["chat"]) == (0.9444, 180)
    assert unsure_share(recent["ads"]) == (0.0, 3)
    assert unsure_share({"audit": 4}) == (None, 0)
    # A restarted worker's counts start again from zero.
    assert decisions_since(now, before)["chat"]["confident"] == 100


def test_banner_names_each_condition() -> None:
    quiet = banner(champion=1, missing_roles=[], stuck=[], cadence={"failing": False,
                   "stale": False}, label_studio_up=True, channels={}, route_alarm_share=0.9,
                   errors={})  # fmt: skip
    assert quiet == []
    loud = banner(
        champion=None,
        missing_roles=["classify"],
        stuck=["eddy-route"],
        cadence={
            "failing": True,
            "last_failure": {"reason": "x"},
            "stale": True,
            "stale_after_s": 180,
        },
        label_studio_up=False,
        channels={
            "chat": {"unsure_share": 0.95, "decisions": 200},
            "ads": {"unsure_share": 0.95, "decisions": 10},
        },
        route_alarm_share=0.9,
        errors={"kafka": "NoBrokersAvailable"},
    )
    keys = [b["key"] for b in loud]
    assert keys == [
        "EddyNoChampion",
        "EddyRoleWithoutWorker",
        "EddyConsumerStuck",
        "EddyTrainerFailing",
        "EddyTrainerStale",
        "EddyLabelStudioUnreachable",
        "EddyModelRoutesNearlyEverything",
        "EddyReadFailed",
    ]
    assert "chat" in loud[6]["message"]
    # A registry that could not be read: its champion is unknown, not missing.
    unread = banner(champion=None, missing_roles=[], stuck=[], cadence=None,
                    label_studio_up=True, channels={}, route_alarm_share=0.9,
                    errors={"models": "OSError: timed out"})  # fmt: skip
    assert [b["key"] for b in unread] == ["EddyReadFailed"]
    # Redis down fails several reads with one error: said once, naming each read.
    refused = "ConnectionError: Error 111 connecting to 127.0.0.1:6379."
    down = banner(champion=1, missing_roles=[], stuck=[], cadence=None,
                  label_studio_up=True, channels={}, route_alarm_share=0.9,
                  errors={"redis": refused, "labels": refused, "runs": refused,
                          "models": "OSError: timed out"})  # fmt: skip
    assert [b["message"] for b in down] == [
        f"Could not read labels, redis, runs: {refused}",
        "Could not read models: OSError: timed out",
    ]


def test_a_label_studio_project_that_is_not_eddys_label_set_is_on_the_banner() -> None:
    def said(label_set: dict[str, Any] | None) -> list[str]:
        found = banner(champion=1, missing_roles=[], stuck=[], cadence=None,
                       label_studio_up=True, channels={}, route_alarm_share=0.9, errors={},
                       label_set=label_set)  # fmt: skip
        return [b["message"] for b in found if b["key"] == "EddyLabelSetMismatch"]

    assert said(None) == []
    assert said({"project": 3, "extra": [], "missing": []}) == []
    (renamed,) = said({"project": 3, "extra": ["negative"], "missing": ["complaint"]})
    assert renamed.startswith("Label Studio project 3 offers negative, which Eddy's label")
    assert "answers with it are never trained on" in renamed
    assert "set EDDY_LABEL_STUDIO_PROJECT to a new project name" in renamed
    assert "Eddy's label set has complaint, which Label Studio project 3 does not offer" in renamed
    (added,) = said({"project": 3, "extra": [], "missing": ["refund"]})
    assert added.startswith("Eddy's label set has refund") and "never trained" not in added


def test_an_unread_registry_exports_no_champion_version_rather_than_none() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from services.ops.collector import ReadModelCollector

    def exposition(snap: dict[str, Any]) -> str:
        registry = CollectorRegistry()
        registry.register(ReadModelCollector(lambda: snap))
        return generate_latest(registry).decode()

    assert "eddy_champion_version 0.0" in exposition({"champion": None, "errors": {}})
    assert "eddy_champion_version 3.0" in exposition({"champion": 3, "errors": {}})
    unread = exposition({"champion": None, "errors": {"models": "OSError"}})
    samples = [ln for ln in unread.splitlines() if ln.startswith("eddy_champion_version ")]
    assert samples == []  # EddyNoChampion (== 0) stays quiet
    # The label set: 0 while the project offers Eddy's; absent while labels are unread.
    assert "eddy_label_set_mismatch 0.0" in exposition({"labels": {"label_set": None}})
    off = {"labels": {"label_set": {"project": 3, "extra": ["negative"], "missing": []}}}
    assert "eddy_label_set_mismatch 1.0" in exposition(off)
    unread = exposition({"labels": None, "errors": {}})
    assert not [ln for ln in unread.splitlines() if ln.startswith("eddy_label_set_mismatch ")]


def test_every_banner_condition_has_its_alert_rule_of_the_same_name() -> None:
    import inspect
    import re
    from pathlib import Path

    import yaml

    from services.ops import banner as banner_module

    rules = Path(__file__).resolve().parents[3] / "deploy" / "prometheus" / "alerts.yml"
    parsed = [r for g in yaml.safe_load(rules.read_text())["groups"] for r in g["rules"]]
    alerts = {r["alert"] for r in parsed}
    source = inspect.getsource(banner_module.banner)
    keys = set(re.findall(r'"(Eddy[A-Za-z]+)"', source))
    # `eddy status` exits 1 on exactly the conditions whose rules page (critical).
    critical = {r["alert"] for r in parsed if r["labels"]["severity"] == "critical"}
    assert critical & keys == banner_module.CRITICAL
    # EddyReadFailed too: without it a Redis outage made eddy_workers_live absent and
    # EddyRoleWithoutWorker resolved, with nothing firing in its place.
    assert keys <= alerts, keys - alerts
    assert len(keys) == 9


def test_a_pruned_version_says_when_its_weights_went() -> None:
    meta = {"version": 3, "status": "rejected", "pruned_at": "2026-12-07T20:00:00Z"}
    assert version_entry(meta, {})["pruned_at"] == "2026-12-07T20:00:00Z"
    assert version_entry({"version": 4}, {})["pruned_at"] is None
