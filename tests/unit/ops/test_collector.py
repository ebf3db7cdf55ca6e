"""The read model's Prometheus figures: no sample where there is nothing to measure yet (a
dashboard must show "no data", not 0% agreement), and drift both ways the console shows it."""

from __future__ import annotations

from typing import Any

from services.ops.collector import ReadModelCollector


def samples(snap: dict[str, Any]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in ReadModelCollector(lambda: snap).collect()
        for s in family.samples
    }


def test_agreement_has_no_sample_before_anyone_labelled_an_event_twice() -> None:
    labels = {"backlog": {}, "awaiting_consensus": 0, "agreement": {"mean_agreement": 0.0}}
    got = samples({"champion": 1, "labels": {**labels, "agreement": {}}})
    assert not any(name == "eddy_label_agreement_ratio" for name, _ in got)
    several = {"events_with_several_votes": 4, "mean_agreement": 0.75}
    got = samples({"champion": 1, "labels": {**labels, "agreement": several}})
    assert got[("eddy_label_agreement_ratio", ())] == 0.75


def test_drift_against_the_previous_window_and_against_training() -> None:
    drift = {
        "channels": {
            "chat": {"vs_previous": None, "vs_training": 0.022},
            "ads": {"vs_previous": 0.1, "vs_training": None},
        }
    }
    got = samples({"champion": 1, "drift": drift})
    assert got[("eddy_drift_training_js_divergence", (("channel", "chat"),))] == 0.022
    assert got[("eddy_drift_js_divergence", (("channel", "ads"),))] == 0.1
    assert ("eddy_drift_js_divergence", (("channel", "chat"),)) not in got
    assert ("eddy_drift_training_js_divergence", (("channel", "ads"),)) not in got


def test_a_part_it_could_not_read_is_a_1_and_the_others_0() -> None:
    got = samples({"champion": 1, "errors": {"redis": "ConnectionError: refused"}})
    assert got[("eddy_ops_read_failed", (("part", "redis"),))] == 1
    assert got[("eddy_ops_read_failed", (("part", "kafka"),))] == 0


def test_versions_by_their_weights_and_the_keep_setting() -> None:
    versions = [{"version": 1, "pruned_at": "2026-12-07T20:00:00Z"}, {"version": 2}, {"version": 3}]
    got = samples({"champion": 3, "models": {"keep": 10, "versions": versions}})
    assert got[("eddy_registry_versions", (("weights", "kept"),))] == 2
    assert got[("eddy_registry_versions", (("weights", "pruned"),))] == 1
    assert got[("eddy_registry_keep", ())] == 10
    unread = samples({"champion": None, "errors": {"models": "OSError"}, "models": {}})
    assert not any(name.startswith("eddy_registry") for name, _ in unread)
