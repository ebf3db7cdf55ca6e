"""Sending events into a running stack and watching their predictions come out."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from services.bench.stats import percentile
from services.core.settings import KafkaSettings, Settings
from services.core.topics import Topics
from services.demo.simulator import spread
from services.ingest.channels import ADAPTERS


class PredictionWatcher:
    """Background consumer of predictions.v1: when each event id's prediction was written,
    by which version, and how many times (a duplicate is a second prediction of one id)."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self.seen: dict[str, float] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._consumer = KafkaConsumer(
            **kafka.client_config(),
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
                    self.counts[eid] += 1
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


def stage_breakdown(sent: dict[str, float], watcher: PredictionWatcher) -> dict[str, float]:
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


class StreamProbe:
    """Sends events into the running stack and times their predictions."""

    def __init__(self, s: Settings) -> None:
        self.topics = Topics.from_settings(s.kafka)
        self.producer = KafkaProducer(**s.kafka.client_config(), linger_ms=2, batch_size=256 * 1024)
        self.watcher = PredictionWatcher(s.kafka, self.topics.predictions)

    def close(self) -> None:
        self.watcher.close()
        self.producer.close()

    def _send(self, channel: str, event: dict[str, Any]) -> None:
        self.producer.send(
            self.topics.channel(channel),
            key=ADAPTERS[channel].key(event).encode(),
            value=json.dumps(event).encode(),
        )

    def send(self, batch: list[tuple[str, dict[str, Any]]]) -> set[str]:
        for ch, ev in batch:
            self._send(ch, ev)
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

    def paced(
        self,
        texts: list[str],
        run: str,
        rate: float,
        seconds: float,
        at: tuple[float, Any] | None = None,
    ) -> dict[str, float]:
        """Events one by one at ``rate`` for ``seconds``; ``at`` = (offset_s, fn) calls fn
        once, that far into the run, from this thread. Returns send time per event id."""
        sent: dict[str, float] = {}
        t0 = time.perf_counter()
        for i, (ch, ev) in enumerate(spread(texts, run=run)):
            due = t0 + i / rate
            if due - t0 > seconds:
                break
            if at is not None and due - t0 >= at[0]:
                at[1]()
                at = None
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent[ev["event_id"]] = time.time()
            self._send(ch, ev)
            self.producer.flush()  # latency from the moment the event is on its way
        return sent

    def latency(
        self, texts: list[str], run: str, rate: float, seconds: float
    ) -> tuple[dict[str, float], list[float]]:
        """Events sent one by one at ``rate``; (send time per id, latencies in ms)."""
        sent = self.paced(texts, f"{run}l", rate, seconds)
        self.watcher.wait(set(sent), 60)
        seen = self.watcher.seen
        return sent, [(seen[e] - t) * 1000 for e, t in sent.items() if e in seen]
