"""The one read model behind the ops console, `eddy status --json` and the console's /metrics
(workers, lag, stream, labels, cadence, model timeline, drift, banner). ``sample()`` reads
everything once; the console calls it on a timer and keeps a short history for its charts."""

from __future__ import annotations

import logging
import time
import urllib.request
from collections import deque
from typing import Any

from services.core import redis_sync
from services.core.kafka import check_reachable
from services.core.roles import ROLES, STREAM_ROLES
from services.core.settings import CHANNELS, Settings
from services.core.topics import Topics
from services.labels.labelset import label_set_state
from services.labels.queue import ReviewQueue
from services.labels.store import LabelStore
from services.ops import labelstats
from services.ops.banner import banner
from services.ops.cadence import cadence
from services.ops.drift import METHOD, channel_drift
from services.ops.facts import TrainingFacts
from services.ops.heartbeats import by_role, replicas
from services.ops.lag import LagSample, channel_ends, group_committed, group_lag, rate, stuck_groups
from services.ops.offsets import OffsetReader, consumer_groups
from services.ops.stream import StreamWindow, decisions_since, unsure_share
from services.ops.tail import TopicTail
from services.ops.timeline import champion_series, training_mix, version_entry
from services.registry.lineage import previous_champion, rolled_back, seed_used
from services.registry.open import open_registry
from services.registry.rollout import history

log = logging.getLogger("eddy.ops")
UNSURE_SPAN_S = 900.0  # the alert's 15 minutes
REDIS_PARTS = ("labels", "runs", "trigger")  # read from Redis, after the heartbeats


def _describe(exc: BaseException) -> str:
    """``Type: message``, once: kafka-python's errors already name their type, some after
    their code ("[Error 7] RequestTimedOutError: ...")."""
    text, name = str(exc), type(exc).__name__
    return (text if name in text[: len(name) + 16] else f"{name}: {text}")[:300]


def expected_roles(s: Settings) -> list[str]:
    """Roles `eddy up` runs with these settings: the label side only with Label Studio."""
    return [*ROLES, "trainer"] if s.stack.with_label_studio else list(STREAM_ROLES)


class ReadModel:
    def __init__(self, settings: Settings, facts: TrainingFacts) -> None:
        self.s = settings
        self.facts = facts
        c = settings.console
        self.window = StreamWindow(c.window)
        self.lag_history: deque[LagSample] = deque(maxlen=c.history)
        self.series: deque[dict[str, Any]] = deque(maxlen=c.history)
        self._ends: deque[tuple[float, dict[str, int]]] = deque(maxlen=c.history)
        self._decisions: deque[tuple[float, dict[str, dict[str, int]]]] = deque(maxlen=c.history)
        self._offsets: OffsetReader | None = None
        self._tail: TopicTail | None = None
        self.last: dict[str, Any] = {}
        self._failing: set[str] = set()
        self._kafka_ok = False

    # --- parts ----------------------------------------------------------------------------
    def _kafka(self, now: float) -> dict[str, Any]:
        # Before the clients exist and after a failed read: a broker that is down fails here
        # at once (refused) or in 2 s (silent), not after kafka-python's 30-45 s of retries.
        if not self._kafka_ok:
            check_reachable(self.s.kafka, timeout_s=2.0)
        self._kafka_ok = False  # until this read succeeds
        if self._offsets is None:
            roles = expected_roles(self.s)
            self._offsets = OffsetReader(self.s.kafka, consumer_groups(self.s.kafka, roles))
        first = self._tail is None
        if self._tail is None:
            tail = TopicTail(self.s.kafka)
            tail.start(backfill=2 * self.s.console.window)
            self._tail = tail
        rows = self._offsets.read()
        # The first sample reads the whole backfill (a one-shot `eddy status` has no second);
        # later ones take what arrived since.
        deadline = time.monotonic() + (5.0 if first else 0.0)
        while True:
            for kind, rec in self._tail.poll():
                self.window.add(kind, rec)
            if self._tail.caught_up() or time.monotonic() >= deadline:
                break
        lag, committed = group_lag(rows), group_committed(rows)
        self.lag_history.append(LagSample(now, lag, committed))
        self._ends.append((now, channel_ends(rows, Topics.from_settings(self.s.kafka).channel_of)))
        span = [(t, e) for t, e in self._ends if now - t <= 60]
        events = {ch: round(rate([(t, e.get(ch, 0)) for t, e in span]), 3) for ch in CHANNELS}
        recent = [s for s in self.lag_history if now - s.at <= 120]
        self._kafka_ok = True
        return {
            "groups": {g: {"lag": lag[g], "committed": committed[g]} for g in sorted(lag)},
            "partitions": [r.__dict__ | {"lag": r.lag} for r in rows],
            "stuck": stuck_groups(recent),
            "events_per_s": events,
        }

    def _labels(self, now: float) -> dict[str, Any]:
        client = redis_sync.connect(self.s.redis)
        try:
            store = LabelStore(client, self.s.redis.prefix)
            anns, examples = store.annotations(), store.examples()
            queue = ReviewQueue(client, self.s.redis.prefix)
            backlog = {ch: queue.open_count(ch) for ch in CHANNELS}
            return {
                "counts": store.counts(),
                "backlog": backlog,
                "backlog_total": sum(backlog.values()),
                "awaiting_consensus": labelstats.awaiting_consensus(examples),
                "agreement": store.agreement(),
                "annotators": store.annotator_quality(),
                "annotator_emails": store.annotator_emails(),
                "inflow": labelstats.inflow(anns, now),
                # What the annotate worker found the Label Studio project offering.
                "label_set": label_set_state(client, self.s.redis.prefix),
            }
        finally:
            client.close()

    def _label_studio_up(self) -> bool | None:
        if not self.s.stack.with_label_studio:
            return None
        try:
            with urllib.request.urlopen(f"{self.s.label_studio.url}/health", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def _models(self) -> dict[str, Any]:
        registry = open_registry(self.s.stack)
        evaluation = self.facts.evaluation()
        champ = registry.champion()
        metas = []
        for v in registry.versions():
            try:
                metas.append(registry.get(v).meta)
            except Exception:  # a half-written or broken version: listed by others, not here
                continue
        seeds = seed_used({int(m["version"]): m for m in metas})
        events = history(registry)
        back = rolled_back(events)
        return {
            "champion": None if champ is None else champ.version,
            "keep": self.s.stack.registry_keep,  # for eddy_registry_keep
            # Said here so the console's rollback dialog names what the registry would pick.
            "rollback_to": None if champ is None else previous_champion(events, champ.version),
            "labels": [] if champ is None else champ.labels,
            "training_mix": training_mix(None if champ is None else champ.meta),
            "versions": [
                version_entry(m, evaluation, seeds.get(int(m["version"]), 0), m["version"] in back)
                for m in metas
            ],
            "history": events[-200:],
            "accuracy": champion_series(events, evaluation),
            "evaluation_size": evaluation.get("size"),
            "estimate": evaluation.get("champion_estimate")
            if champ is not None and evaluation.get("champion") == champ.version
            else None,
        }

    def _drift(self, classes: list[str], mix: dict[str, float] | None) -> dict[str, Any]:
        t, full = self.s.console.drift_threshold, self.s.console.window
        channels = {}
        for ch in sorted(self.window.predictions):
            cur, prev = self.window.windows(ch)
            channels[ch] = channel_drift(ch, cur, prev, mix, classes, t, full).as_dict()
        return {"method": METHOD, "threshold": t, "window": full, "channels": channels}

    def _unsure(self, now: float, beats: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Per channel, the share of routing decisions the model was unsure of over the last
        15 minutes (since the console started, if later), summed over route replicas."""
        total: dict[str, dict[str, int]] = {}
        for beat in beats:
            if beat.get("role") == "route":
                for ch, counts in (beat.get("decisions") or {}).items():
                    row = total.setdefault(ch, {})
                    for d, v in counts.items():
                        row[d] = row.get(d, 0) + int(v)
        self._decisions.append((now, total))
        base = next((d for t, d in self._decisions if now - t <= UNSURE_SPAN_S), total)
        recent = decisions_since(base if base is not total else {}, total)
        out = {}
        for ch, counts in sorted(recent.items()):
            share, n = unsure_share(counts)
            out[ch] = {"unsure_share": share, "decisions": n}
        return out

    # --- the whole ----------------------------------------------------------------------
    def sample(self, with_stream: bool = True) -> dict[str, Any]:
        now = time.time()
        errors: dict[str, str] = {}

        def part(name: str, fn: Any, *args: Any) -> Any:
            if name in REDIS_PARTS and "redis" in errors:
                # A hung Redis costs a timeout per read: one per sample, not four (35-60 s).
                errors[name] = errors["redis"]
                return None
            try:
                return fn(*args)
            except Exception as exc:  # one unreachable part must not blank the console
                errors[name] = _describe(exc)
                if name not in self._failing:  # once per outage, not every few seconds
                    log.warning("ops read of %s failed: %s", name, type(exc).__name__)
                return None

        kafka = part("kafka", self._kafka, now) if with_stream else None
        beats = part("redis", replicas, self.s.redis) or []
        roles = by_role(beats)
        # Without Redis no worker's heartbeat can be read: unknown, not missing.
        known = "redis" not in errors
        missing = [r for r in expected_roles(self.s) if r not in roles] if known else []
        labels = part("labels", self._labels, now)
        models = part("models", self._models) or {"champion": None, "labels": []}
        runs = part("runs", self.facts.runs, 20) or []
        trig = part("trigger", self.facts.trigger) or {}
        trainer = next(iter(roles.get("trainer", [])), None)
        unread = sorted(p for p in ("redis", "runs", "trigger") if p in errors)
        cad: dict[str, Any] | None = None
        if self.s.stack.with_label_studio and unread:
            # Not "no run yet" and "the trainer went quiet": those are facts Redis holds.
            cad = {"unknown": f"could not read {', '.join(unread)}"}
        elif self.s.stack.with_label_studio:
            c = self.s
            cad = cadence(runs, trig, trainer, c.trainer.interval_s, c.console.trainer_stale_s, now)
        ls_up = self._label_studio_up()
        unsure = self._unsure(now, beats)
        stats = self.window.channel_stats(now)
        for ch, u in unsure.items():
            stats.setdefault(ch, {}).update(u)
        stream = {
            "channels": stats,
            "latency": self.window.latency(now),
            "deadletters": self.window.deadletter_counts(),
            "review_samples": dict(self.window.samples),
            **(kafka or {}),
        }
        drift = self._drift(list(models.get("labels") or []), models.get("training_mix"))
        snap = {
            "generated_at": now,
            "champion": models.get("champion"),
            "workers": {
                "replicas": beats,
                "per_role": {r: len(b) for r, b in roles.items()},
                "missing_roles": missing,
            },
            "models": models,
            "cadence": cad,
            "runs": runs,
            "labels": labels,
            "label_studio_up": ls_up,
            "stream": stream,
            "drift": drift,
            "errors": errors,
        }
        snap["banner"] = banner(
            champion=models.get("champion"),
            missing_roles=missing,
            stuck=(kafka or {}).get("stuck", []),
            cadence=cad,
            label_studio_up=ls_up,
            label_set=(labels or {}).get("label_set"),
            channels=stream["channels"],
            route_alarm_share=self.s.console.route_alarm_share,
            errors=errors,
        )
        if kafka is not None:
            self.series.append(
                {
                    "at": now,
                    "lag": {g: v["lag"] for g, v in kafka["groups"].items()},
                    "events_per_s": kafka["events_per_s"],
                    "latency_p50_s": stream["latency"]["p50_s"],
                    "latency_p99_s": stream["latency"]["p99_s"],
                    "drift": {
                        ch: d["vs_previous"]
                        for ch, d in drift["channels"].items()
                        if d["vs_previous"] is not None
                    },
                }
            )
        for name in self._failing - set(errors):
            log.info("ops read of %s works again", name)
        self._failing = set(errors) - (set(REDIS_PARTS) if "redis" in errors else set())
        self.last = snap
        return snap

    def close(self) -> None:
        for c in (self._offsets, self._tail):
            if c is not None:
                c.close()
