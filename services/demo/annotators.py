"""A simulated annotator pool: people with their own Label Studio accounts who open tasks and
answer them through the Label Studio API, from gold labels, with a configurable error rate
and thinking time. A share of tasks is labelled by several annotators, so consensus and
agreement are exercised as they would be with a real team."""

from __future__ import annotations

import logging
import random
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from services.annotation.client import LabelStudioClient
from services.annotation.lserrors import LabelStudioUnavailable
from services.labels.noise import answer

log = logging.getLogger("eddy.demo.annotators")


def needs_overlap(task_id: int, overlap: float) -> bool:
    """Whether a task gets several annotators: a stable choice per task. Pure."""
    return zlib.crc32(str(task_id).encode()) % 1000 < overlap * 1000


def within_budget(budget: int, committed: int, needed: int) -> bool:
    """Whether a task that needs ``needed`` answers fits the team's budget of answers, with
    ``committed`` given or promised (0: no budget). A task is taken whole or not at all: a
    consensus short of its votes would spend answers on no label. Pure."""
    return budget <= 0 or committed + needed <= budget


@dataclass
class PoolStats:
    answered: int = 0
    wrong: int = 0
    unknown: int = 0
    overlapped: int = 0
    budget_spent: bool = False  # the team stopped taking tasks: the next would overrun it


@dataclass
class _Shared:
    task_id: int
    event_id: str
    done_by: set[int]


@dataclass
class AnnotatorPool:
    client: LabelStudioClient
    project_id: int
    gold: Callable[[str], str | None]  # event id -> gold label
    labels: list[str]
    size: int = 3
    error_rate: float = 0.05
    delay_s: float = 0.5
    overlap: float = 0.2
    seed: int = 0
    budget: int = 0  # answers the team gives in all (0: no limit)
    stats: PoolStats = field(default_factory=PoolStats)
    user_ids: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _cursor: int = 0
    _queue: list[tuple[int, str]] = field(default_factory=list)
    _retry: list[tuple[int, str]] = field(default_factory=list)
    _inflight: int = 0
    _shared: list[_Shared] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def votes(self) -> int:
        return min(3, self.size)

    def start(self) -> None:
        self.user_ids = [
            self.client.ensure_user(f"sim-annotator-{i + 1}@eddy.invalid", "Simulated", str(i + 1))
            for i in range(self.size)
        ]
        for i in range(self.size):
            t = threading.Thread(target=self._work, args=(i,), name=f"annotator-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)

    def _claim(self, i: int) -> tuple[int, str] | None:
        with self._lock:
            # A colleague's task that still needs another vote comes first.
            for item in self._shared:
                if i not in item.done_by:
                    item.done_by.add(i)
                    if len(item.done_by) >= self.votes:
                        self._shared.remove(item)
                    self._inflight += 1
                    return item.task_id, item.event_id
            if self._retry:
                self._inflight += 1
                return self._retry.pop(0)
            if self.budget > 0 and self._committed() >= self.budget:
                # Every answer is given or promised: spent, whether or not another task has
                # arrived (a run whose last task used the last answer stopped here unmarked).
                self.stats.budget_spent = True
                return None
            if not self._queue:
                # Walk the project by task id rather than asking for "unannotated" tasks:
                # Label Studio's per-task counters lag under concurrent annotations.
                for task in self.client.tasks_after(self.project_id, self._cursor):
                    self._queue.append((int(task["id"]), str(task["data"]["event_id"])))
                    self._cursor = max(self._cursor, int(task["id"]))
                    if len(self._queue) >= 50:
                        break
            if not self._queue or self.stats.budget_spent:  # spent stays spent
                return None
            tid, event_id = self._queue[0]
            shared = self.votes > 1 and needs_overlap(tid, self.overlap)
            if not within_budget(self.budget, self._committed(), self.votes if shared else 1):
                self.stats.budget_spent = True
                return None
            self._queue.pop(0)
            if shared:
                self._shared.append(_Shared(tid, event_id, {i}))
                self.stats.overlapped += 1
            self._inflight += 1
            return tid, event_id

    def _work(self, i: int) -> None:
        rng = random.Random(self.seed * 1000 + i)
        while not self._stop.is_set():
            try:
                claimed = self._claim(i)
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
                    self.client.annotate(task_id, None, skip=True, user_id=self.user_ids[i])
                    with self._lock:
                        self._inflight -= 1
                        self.stats.unknown += 1
                    continue
                label = answer(gold, self.labels, self.error_rate, rng)
                self.client.annotate(task_id, label, user_id=self.user_ids[i])
            except Exception as exc:
                log.warning("annotator %d could not answer task %d: %s", i, task_id, exc)
                with self._lock:
                    self._inflight -= 1
                    self._retry.append((task_id, event_id))
                continue
            with self._lock:
                self._inflight -= 1
                self.stats.answered += 1
                self.stats.wrong += int(label != gold)

    def _committed(self) -> int:
        """Answers given, being given, to be retried, and promised to shared tasks (under
        the lock)."""
        owed = sum(self.votes - len(item.done_by) for item in self._shared)
        return self.stats.answered + self._inflight + len(self._retry) + owed

    def pending(self) -> int:
        """Tasks not answered yet: queued, waiting for another vote, being answered, or in
        Label Studio beyond the last task the pool has seen. Once the budget is spent, only
        the work already taken on: the rest stays open for no one."""
        with self._lock:
            taken = len(self._shared) + len(self._retry) + self._inflight
            if self.stats.budget_spent:
                return taken
            known = taken + len(self._queue)
            cursor = self._cursor
        unseen = next(iter(self.client.tasks_after(self.project_id, cursor)), None)
        return known + (1 if unseen is not None else 0)
