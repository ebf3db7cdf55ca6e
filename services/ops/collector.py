"""The read model's figures for Prometheus, computed at scrape time from the latest sample
(the console process serves them): lag, live replicas, the champion and its score, backlog,
agreement, Label Studio's reachability, the trigger's progress and drift."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# The read model's parts (services/ops/readmodel.py, ``part(...)``).
READ_PARTS = ("kafka", "redis", "labels", "models", "runs", "trigger")


class ReadModelCollector(Collector):
    def __init__(self, snapshot: Callable[[], dict[str, Any]]) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snap = self.snapshot()
        if not snap:
            return
        yield from _stream(snap)
        yield from _models(snap)
        yield from _labels(snap)


def _gauge(name: str, doc: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels or [])


def _stream(snap: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    stream = snap.get("stream") or {}
    lag = _gauge(
        "eddy_consumer_lag_records",
        "Records a consumer group has still to process (log end - committed offset)",
        ["group", "topic", "partition"],
    )
    for row in stream.get("partitions") or []:
        lag.add_metric([row["group"], row["topic"], str(row["partition"])], row["lag"])
    yield lag
    live = _gauge("eddy_workers_live", "Replicas with a fresh heartbeat, per role", ["role"])
    workers = snap.get("workers") or {}
    per_role = dict(workers.get("per_role") or {})
    for role in workers.get("missing_roles") or []:
        per_role.setdefault(role, 0)
    for role, n in sorted(per_role.items()):
        live.add_metric([role], n)
    yield live
    # Without Redis no heartbeat can be read and eddy_workers_live is absent, not 0: this
    # says why (EddyReadFailed), where the console's own scrape stays `up`.
    failed = _gauge(
        "eddy_ops_read_failed",
        "1 when the ops read model could not read this part of the stack at its last sample",
        ["part"],
    )
    errors = snap.get("errors") or {}
    for part in sorted(READ_PARTS):
        failed.add_metric([part], 1 if part in errors else 0)
    yield failed
    drift = _gauge(
        "eddy_drift_js_divergence",
        "Jensen-Shannon divergence (base 2) of the predicted-label mix: the current window "
        "against the previous one",
        ["channel"],
    )
    trained = _gauge(
        "eddy_drift_training_js_divergence",
        "Jensen-Shannon divergence (base 2) of the predicted-label mix: the current window "
        "against the champion's training labels",
        ["channel"],
    )
    for channel, d in sorted(((snap.get("drift") or {}).get("channels") or {}).items()):
        if d.get("vs_previous") is not None:
            drift.add_metric([channel], d["vs_previous"])
        if d.get("vs_training") is not None:
            trained.add_metric([channel], d["vs_training"])
    yield drift
    yield trained


def _models(snap: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    champion = snap.get("champion")
    g = _gauge("eddy_champion_version", "The champion model's version (0: none)")
    if "models" not in (snap.get("errors") or {}):  # unread registry: no sample, not 0
        g.add_metric([], champion or 0)
    yield g
    series = (snap.get("models") or {}).get("accuracy") or []
    last = next((p for p in reversed(series) if p.get("version") == champion), None)
    for suffix, key, doc in (
        ("", "accuracy", "The champion's accuracy on the common evaluation set"),
        ("_low", "low", "Lower end of its 95% Wilson interval"),
        ("_high", "high", "Upper end of its 95% Wilson interval"),
    ):
        g = _gauge(f"eddy_champion_evaluation_accuracy{suffix}_ratio", doc)
        if last is not None and last.get(key) is not None:
            g.add_metric([], last[key])
        yield g
    cad = snap.get("cadence") or {}
    trig = cad.get("trigger") or {}
    for name, key, doc in (
        ("eddy_trigger_new_labels", "new_labels", "New labels since the last training run"),
        ("eddy_trigger_new_labels_needed", "needed", "New labels that trigger a run"),
    ):
        g = _gauge(name, doc)
        if trig.get(key) is not None:
            g.add_metric([], trig[key])
        yield g
    now = _gauge(
        "eddy_trainer_run_in_progress_seconds",
        "How long the training run in progress has run (0: none); absent when unknown",
    )
    yield from _registry(snap)
    run = cad.get("running", {})  # absent: a Redis outage left the cadence unknown
    if run is None or (run and run.get("for_s") is not None):
        now.add_metric([], 0.0 if run is None else float(run["for_s"]))
    yield now


def _labels(snap: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    labels = snap.get("labels") or {}
    backlog = _gauge(
        "eddy_label_backlog_tasks", "Open Label Studio tasks, per channel", ["channel"]
    )
    for channel, n in sorted((labels.get("backlog") or {}).items()):
        backlog.add_metric([channel], n)
    yield backlog
    waiting = _gauge("eddy_labels_awaiting_consensus", "Labelled events without a consensus yet")
    if labels:
        waiting.add_metric([], labels.get("awaiting_consensus") or 0)
    yield waiting
    mismatch = _gauge(
        "eddy_label_set_mismatch",
        "1 when the Label Studio project offers a label outside Eddy's set or lacks one of it",
    )
    if labels:
        doc = labels.get("label_set") or {}
        mismatch.add_metric([], 1 if doc.get("extra") or doc.get("missing") else 0)
    yield mismatch
    agree = _gauge(
        "eddy_label_agreement_ratio", "Mean agreement over events that several people labelled"
    )
    overlap = labels.get("agreement") or {}
    if overlap.get("events_with_several_votes"):  # no sample, not 0%, before any overlap
        agree.add_metric([], overlap.get("mean_agreement") or 0.0)
    yield agree
    up = snap.get("label_studio_up")
    g = _gauge("eddy_label_studio_up", "1 when Label Studio answers its health check")
    if up is not None:
        g.add_metric([], 1 if up else 0)
    yield g


def _registry(snap: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    """Whether pruning keeps up: a prune that keeps failing leaves more than the newest N,
    the champion and N rollback targets with weights (EddyRegistryNotPruned)."""
    versions = _gauge(
        "eddy_registry_versions",
        "Model versions in the registry by their weights: kept, or pruned (EDDY_REGISTRY_KEEP)",
        ["weights"],
    )
    keep = _gauge("eddy_registry_keep", "EDDY_REGISTRY_KEEP (0: every version keeps its weights)")
    models = snap.get("models") or {}
    if "models" not in (snap.get("errors") or {}) and "keep" in models:
        listed = models.get("versions") or []
        gone = sum(bool(v.get("pruned_at")) for v in listed)
        versions.add_metric(["kept"], len(listed) - gone)
        versions.add_metric(["pruned"], gone)
        keep.add_metric([], models["keep"])
    yield versions
    yield keep
