"""The demo's simulated annotators: error rate, overlap share and the label budget."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any, cast

import pytest

from services.annotation.client import LabelStudioClient
from services.demo.annotators import AnnotatorPool, needs_overlap, within_budget
from services.labels.noise import answer, answer_for


def test_simulated_annotator_error_rate() -> None:
    rng = random.Random(0)
    answers = [answer("a", ["a", "b", "c"], 0.2, rng) for _ in range(2000)]
    wrong = sum(a != "a" for a in answers) / len(answers)
    assert 0.15 < wrong < 0.25
    assert answer("a", ["a"], 1.0, rng) == "a"


def test_one_event_gets_the_same_answer_every_time() -> None:
    labels = ["a", "b", "c"]
    first = [answer_for(f"e{i}", "a", labels, 0.2) for i in range(2000)]
    assert first == [answer_for(f"e{i}", "a", labels, 0.2) for i in range(2000)]
    assert 0.15 < sum(a != "a" for a in first) / len(first) < 0.25
    assert all(answer_for(f"e{i}", "a", labels, 0.0) == "a" for i in range(100))


def test_overlap_share_is_stable_per_task() -> None:
    chosen = [t for t in range(5000) if needs_overlap(t, 0.2)]
    assert 0.17 < len(chosen) / 5000 < 0.23
    assert chosen == [t for t in range(5000) if needs_overlap(t, 0.2)]
    assert not any(needs_overlap(t, 0.0) for t in range(100))


def test_a_task_fits_the_budget_whole_or_not_at_all() -> None:
    assert within_budget(0, 10_000, 3)  # no budget
    assert within_budget(10, 7, 3) and not within_budget(10, 8, 3)
    assert within_budget(10, 9, 1) and not within_budget(10, 10, 1)


class _Tasks:
    """Label Studio's task list and annotations, in memory: the pool's claiming is the
    subject here, not the server (tests/integration/test_label_studio_bridge.py is)."""

    def __init__(self, n: int) -> None:
        self.tasks: list[dict[str, Any]] = [
            {"id": i + 1, "data": {"event_id": f"e{i + 1}"}} for i in range(n)
        ]
        self.answers: list[tuple[int, int]] = []
        self.lock = threading.Lock()

    def ensure_user(self, email: str, first: str, last: str) -> int:
        return int(last)

    def tasks_after(self, project_id: int, task_id: int) -> Iterator[dict[str, Any]]:
        yield from (t for t in self.tasks if int(t["id"]) > task_id)

    def annotate(self, task_id: int, label: str | None, **kw: Any) -> int:
        with self.lock:
            if not kw.get("skip"):  # a skip is no answer
                self.answers.append((task_id, int(kw["user_id"])))
        return len(self.answers)


@pytest.mark.parametrize(
    ("overlap", "budget", "unknown"),
    [(0.0, 7, set()), (1.0, 7, set()), (0.3, 20, set()), (0.0, 7, {"e2", "e5"})],
)
def test_the_team_stops_at_its_budget_without_half_voted_tasks(
    overlap: float, budget: int, unknown: set[str]
) -> None:
    tasks = _Tasks(30)
    pool = AnnotatorPool(
        cast(LabelStudioClient, tasks), 1, lambda e: None if e in unknown else "a", ["a", "b"],
        size=3, error_rate=0.0, delay_s=0.0, overlap=overlap, budget=budget,
    )  # fmt: skip
    pool.start()
    deadline = time.monotonic() + 20
    while (not pool.stats.budget_spent or pool.pending()) and time.monotonic() < deadline:
        time.sleep(0.05)
    pool.stop()
    assert pool.stats.budget_spent and pool.pending() == 0
    assert pool.stats.answered == len(tasks.answers) <= budget
    votes: dict[int, int] = {}
    for task_id, _user in tasks.answers:
        votes[task_id] = votes.get(task_id, 0) + 1
    for task_id, n in votes.items():
        assert n == (3 if needs_overlap(task_id, overlap) else 1), (task_id, n)
    # Nothing fit any more: the next task in line would have overrun the budget.
    nxt = max(votes) + 1
    assert pool.stats.answered + (3 if needs_overlap(nxt, overlap) else 1) > budget
    assert len(votes) < 30


def test_the_budget_is_spent_when_the_last_task_there_is_uses_the_last_answer() -> None:
    # Seven single-vote tasks and a budget of seven: no eighth task ever comes to overrun it,
    # yet nothing is left to give (a small e2e demo run ended with 12 of 12 answers given and
    # the budget not marked spent, so the stream did not stop and the demo did not say so).
    tasks = _Tasks(7)
    pool = AnnotatorPool(
        cast(LabelStudioClient, tasks), 1, lambda e: "a", ["a", "b"],
        size=3, error_rate=0.0, delay_s=0.0, overlap=0.0, budget=7,
    )  # fmt: skip
    pool.start()
    deadline = time.monotonic() + 20
    while not pool.stats.budget_spent and time.monotonic() < deadline:
        time.sleep(0.05)
    pool.stop()
    assert pool.stats.budget_spent
    assert pool.stats.answered == len(tasks.answers) == 7 and pool.pending() == 0
