"""`eddy bench`: bare model vs. stream throughput and produce-to-prediction latency, with the
same model and the same texts, on a private embedded broker + Redis + the real workers."""

from __future__ import annotations

import json
import os
import platform
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from services.bench.stats import latency_summary, percentile
from services.core.settings import KafkaSettings, Settings
from services.core.topics import Topics
from services.demo.airline import airline_tweets
from services.demo.simulator import spread
from services.ingest.channels import ADAPTERS
from services.model.classifier import TextClassifier
from services.model.device import Placement, select_placement
from services.registry.open import open_registry
from services.registry.store import ModelRef, ModelRegistry
from services.stack.probes import free_port
from services.stack.up import Stack
from services.training.bootstrap import bootstrap
from services.training.examples import Example

Say = Callable[[str], None]


class PredictionWatcher:
    """Background consumer of predictions.v1: when each event id's prediction was written."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self.seen: dict[str, float] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self._stop = threading.Event()
        self._consumer = KafkaConsumer(
            bootstrap_servers=kafka.servers,
            enable_auto_commit=False,
            fetch_max_wait_ms=20,
            client_id="eddy-bench-watch",
        )
        parts = [TopicPartition(topic, p) for p in range(kafka.partitions)]
        self._consumer.assign(parts)
        self._consumer.seek_to_beginning(*parts)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for msgs in self._consumer.poll(timeout_ms=50).values():
                now = time.time()
                for m in msgs:
                    rec = json.loads(m.value)
                    eid = rec["event_id"]
                    # The record's create time is when the classify worker produced it.
                    self.seen.setdefault(eid, m.timestamp / 1000 if m.timestamp > 0 else now)
                    self.records.setdefault(eid, rec)

    def wait(self, ids: set[str], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if ids <= self.seen.keys():
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._consumer.close()


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _stage_breakdown(sent: dict[str, float], watcher: PredictionWatcher) -> dict[str, float]:
    """Median time per hop: produce -> normalized, normalized -> predicted (queueing,
    batching and the forward pass), predicted -> prediction record written."""
    hops: dict[str, list[float]] = {
        "to_normalized": [],
        "normalized_to_predicted": [],
        "inference": [],
        "predicted_to_written": [],
    }
    for eid, t_sent in sent.items():
        rec = watcher.records.get(eid)
        if rec is None:
            continue
        received, predicted = _epoch(rec["received_at"]), _epoch(rec["predicted_at"])
        hops["to_normalized"].append((received - t_sent) * 1000)
        hops["normalized_to_predicted"].append((predicted - received) * 1000)
        hops["inference"].append(float(rec["timings"]["inference_ms"]))
        hops["predicted_to_written"].append((watcher.seen[eid] - predicted) * 1000)
    return {k: round(percentile(v, 50), 1) for k, v in hops.items() if v}


def _bare_model(clf: TextClassifier, texts: list[str], batch: int) -> float:
    clf.predict_proba(texts[: batch * 2], chunk_size=batch)  # warm-up
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        clf.predict_proba(texts[i : i + batch], chunk_size=batch)
    return len(texts) / (time.perf_counter() - start)


def _send(producer: KafkaProducer, topics: Topics, channel: str, event: dict[str, Any]) -> None:
    producer.send(
        topics.channel(channel),
        key=ADAPTERS[channel].key(event).encode(),
        value=json.dumps(event).encode(),
    )


def bench_settings(settings: Settings, tmp: Path, run: str) -> Settings:
    """A private broker, Redis and namespace; the user's champion if there is one."""
    models = settings.stack.models_dir
    if ModelRegistry(models).champion() is None:
        models = tmp / "models"
    return settings.override(
        # The bench reads and writes a local registry only, never a shared store.
        stack={
            "data_dir": tmp,
            "registry_dir": models,
            "with_label_studio": False,
            "model_store": "",
        },
        kafka={
            "bootstrap": f"127.0.0.1:{free_port()}",
            "topic_prefix": f"bench{run}.",
            "app_id": f"eddy-bench-{run}",
            "session_timeout_s": 6.0,
            "heartbeat_s": 2.0,
        },
        redis={"url": f"redis://127.0.0.1:{free_port()}/0"},
        gateway={"port": free_port()},
        metrics={"port": 0},  # the bench measures speed; a running stack may hold the ports
    )


def ensure_champion(s: Settings, say: Say) -> ModelRef:
    registry = open_registry(s.stack)
    if registry.champion() is None:
        say("no champion model: training a small one (100 tweets, 1 epoch) for the bench")
        data = airline_tweets()
        random.Random(0).shuffle(data)
        bootstrap(
            s.override(trainer={"bootstrap_epochs": 1}),
            Path("bench-seed"),
            examples=[Example(e.text, e.label) for e in data[:100]],
            force=True,  # the bench measures speed, not quality: a weak model is fine here
        )
    champ = registry.champion()
    assert champ is not None
    return champ


def measure_bare(s: Settings, champ: ModelRef, placement: Placement, texts: list[str]) -> float:
    clf = TextClassifier.load(
        champ.path,
        placement,
        version=champ.version,
        max_length=int(champ.meta.get("max_length", s.model.max_length)),
    )
    return _bare_model(clf, texts, s.model.batch_max_size)


class StreamProbe:
    """Sends events into the running stack and times their predictions."""

    def __init__(self, s: Settings) -> None:
        self.topics = Topics.from_settings(s.kafka)
        self.producer = KafkaProducer(
            bootstrap_servers=s.kafka.servers, linger_ms=2, batch_size=256 * 1024
        )
        self.watcher = PredictionWatcher(s.kafka, self.topics.predictions)

    def close(self) -> None:
        self.watcher.close()
        self.producer.close()

    def send(self, batch: list[tuple[str, dict[str, Any]]]) -> set[str]:
        for ch, ev in batch:
            _send(self.producer, self.topics, ch, ev)
        self.producer.flush()
        return {ev["event_id"] for _, ev in batch}

    def warm_up(self, texts: list[str], run: str) -> None:
        if not self.watcher.wait(self.send(spread(texts, run=f"{run}w")), 120):
            raise RuntimeError("warm-up events were not predicted within 120s")

    def throughput(self, texts: list[str], run: str, bare_eps: float) -> float:
        start = time.time()
        ids = self.send(spread(texts, run=f"{run}t"))
        seen = self.watcher.seen
        if not self.watcher.wait(ids, max(120.0, 3 * len(ids) / max(bare_eps, 1))):
            raise RuntimeError(f"only {len(ids & seen.keys())}/{len(ids)} events predicted in time")
        return len(ids) / (max(seen[i] for i in ids) - start)

    def latency(
        self, texts: list[str], run: str, rate: float, seconds: float
    ) -> tuple[dict[str, float], list[float]]:
        """Events sent one by one at ``rate``; (send time per id, latencies in ms)."""
        sent: dict[str, float] = {}
        t0 = time.perf_counter()
        for i, (ch, ev) in enumerate(spread(texts, run=f"{run}l")):
            due = t0 + i / rate
            if due - t0 > seconds:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent[ev["event_id"]] = time.time()
            _send(self.producer, self.topics, ch, ev)
            self.producer.flush()  # latency from the moment the event is on its way
        self.watcher.wait(set(sent), 60)
        seen = self.watcher.seen
        return sent, [(seen[e] - t) * 1000 for e, t in sent.items() if e in seen]


def run_bench(
    settings: Settings, *, events: int, rate: float, latency_seconds: float, say: Say
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    s = bench_settings(settings, Path(tempfile.mkdtemp(prefix="eddy-bench-")), run)
    champ = ensure_champion(s, say)
    tweets = [e.text for e in airline_tweets()]
    texts = tweets[:events]
    placement = select_placement(s.model.device, s.model.precision)
    if s.model.torch_threads:
        torch.set_num_threads(s.model.torch_threads)

    say(f"(a) bare model v{champ.version}: {len(texts)} texts, batches of {s.model.batch_max_size}")
    bare_eps = measure_bare(s, champ, placement, texts)
    say(f"    {bare_eps:.1f} events/s")

    stack = Stack(s, external=False, say=lambda m: say(f"    {m}"))
    try:
        stack.start()
        probe = StreamProbe(s)
        try:
            probe.warm_up(tweets[-64:], run)
            say(f"(b) stream: {len(texts)} events through broker + normalize/classify/route")
            stream_eps = probe.throughput(texts, run, bare_eps)
            say(f"    {stream_eps:.1f} events/s")
            lat_rate = rate or round(stream_eps * 0.5, 1)
            say(f"(c) latency at {lat_rate:.1f} events/s for {latency_seconds:.0f}s")
            n_lat = int(max(rate, 1) * latency_seconds) + 200
            lat_texts = (tweets[events:] + tweets)[:n_lat]
            sent, lat_ms = probe.latency(lat_texts, run, lat_rate, latency_seconds)
            stages = _stage_breakdown(sent, probe.watcher)
        finally:
            probe.close()
    finally:
        stack.stop()
    latency = latency_summary(lat_ms)
    say(f"    p50 {latency['p50']} ms, p95 {latency['p95']} ms, p99 {latency['p99']} ms")
    return {
        "bare_model_eps": round(bare_eps, 1),
        "stream_eps": round(stream_eps, 1),
        "stream_to_bare_ratio": round(stream_eps / bare_eps, 3),
        "latency_ms": latency,
        "latency_stages_p50_ms": stages,
        "latency_rate_eps": lat_rate,
        "latency_events": len(sent),
        "latency_missing": len(sent) - len(lat_ms),
        "events": len(texts),
        "batch_max_size": s.model.batch_max_size,
        "batch_max_wait_ms": s.model.batch_max_wait_ms,
        "max_length": s.model.max_length,
        "model_version": champ.version,
        "device": str(placement.device),
        "precision": placement.precision,
        "torch_threads": torch.get_num_threads(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "torch": torch.__version__,
        },
    }
