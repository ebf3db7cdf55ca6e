"""A simulated annotator pool: people who open Label Studio tasks and answer them through the
Label Studio API, from gold labels, with a configurable error rate and thinking time."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from services.annotation.client import LabelStudioClient, LabelStudioUnavailable

log = logging.getLogger("eddy.demo.annotators")


def answer(gold: str, labels: list[str], error_rate: float, rng: random.Random) -> str:
    """The gold label, or (with probability error_rate) a wrong one. Pure."""
    if error_rate > 0 and rng.random() < error_rate and len(labels) > 1:
        return rng.choice([lab for lab in labels if lab != gold])
    return gold


@dataclass
class PoolStats:
    answered: int = 0
    wrong: int = 0
    unknown: int = 0


@dataclass
class AnnotatorPool:
    client: LabelStudioClient
    project_id: int
    gold: Callable[[str], str | None]  # event id -> gold label
    labels: list[str]
    size: int = 3
    error_rate: float = 0.05
    delay_s: float = 0.5
    seed: int = 0
    stats: PoolStats = field(default_factory=PoolStats)
    _stop: threading.Event = field(default_factory=threading.Event)
    _claimed: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for i in range(self.size):
            t = threading.Thread(target=self._work, args=(i,), name=f"annotator-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)

    def _claim(self) -> tuple[int, str] | None:
        with self._lock:
            for task in self.client.open_tasks(self.project_id, limit=20):
                tid = int(task["id"])
                if tid not in self._claimed:
                    self._claimed.add(tid)
                    return tid, str(task["data"]["event_id"])
        return None

    def _work(self, i: int) -> None:
        rng = random.Random(self.seed * 1000 + i)
        while not self._stop.is_set():
            try:
                claimed = self._claim()
            except LabelStudioUnavailable:
                claimed = None
            if claimed is None:
                self._stop.wait(1.0)
                continue
            task_id, event_id = claimed
            gold = self.gold(event_id)
            self._stop.wait(self.delay_s * rng.uniform(0.5, 1.5))  # reading and deciding
            try:
                if gold is None:  # not an event this demo produced: skip it
                    self.client.annotate(task_id, None, skip=True)
                    with self._lock:
                        self.stats.unknown += 1
                    continue
                label = answer(gold, self.labels, self.error_rate, rng)
                self.client.annotate(task_id, label)
            except Exception as exc:
                log.warning("annotator %d could not answer task %d: %s", i, task_id, exc)
                with self._lock:
                    self._claimed.discard(task_id)
                continue
            with self._lock:
                self.stats.answered += 1
                self.stats.wrong += int(label != gold)

    def open_count(self) -> int:
        return len(self.client.open_tasks(self.project_id, limit=100))
