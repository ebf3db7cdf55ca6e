"""Once a start, the trainer re-scores the open tasks when they were last written for another
champion, setting or task format (an upgrade left tasks with the old model's guess in them
until the next promotion); a queue written for this champion and setting is left alone."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from services.annotation.rescore import queue_mark, rescored_key
from services.app import trainer
from services.core.settings import Settings


class _Redis:
    def __init__(self, mark: str | None) -> None:
        self.mark = mark

    def get(self, key: str) -> str | None:
        assert key == rescored_key(Settings().redis.prefix)
        return self.mark


class _Registry:
    def __init__(self, champion: int | None) -> None:
        self.champion = champion

    def champion_version(self) -> int | None:
        return self.champion


@pytest.mark.parametrize(
    ("mark", "champion", "suggest", "requeued"),
    [
        (None, 2, False, True),  # an older Eddy wrote the queue: no mark at all
        (queue_mark(1, False), 2, False, True),  # a rollback or promotion it did not follow
        (queue_mark(2, True), 2, False, True),  # EDDY_ANNOTATION_SUGGEST turned off
        (queue_mark(2, False).replace("format 2", "format 1"), 2, False, True),
        (queue_mark(2, False), 2, False, False),  # a plain restart
        (None, None, False, False),  # no champion to score with
    ],
)
def test_the_queue_is_rescored_once_when_written_for_something_else(
    monkeypatch: pytest.MonkeyPatch,
    mark: str | None,
    champion: int | None,
    suggest: bool,
    requeued: bool,
) -> None:
    jobs = trainer.TrainerJobs(Settings().override(annotation={"suggest": suggest}))
    jobs.redis = _Redis(mark)  # type: ignore[assignment]
    monkeypatch.setattr(trainer, "open_registry", lambda _stack: _Registry(champion))
    calls: list[Any] = []
    monkeypatch.setattr(jobs, "requeue_soon", lambda: calls.append(1))
    jobs.requeue_if_stale()
    assert bool(calls) is requeued and jobs._queue_checked


def test_a_mark_that_cannot_be_read_is_checked_again_at_the_next_reconciliation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Down(_Redis):
        def get(self, key: str) -> str | None:
            raise ConnectionError("redis down")

    jobs = trainer.TrainerJobs(Settings())
    jobs.redis = Down(None)  # type: ignore[assignment]
    monkeypatch.setattr(trainer, "open_registry", lambda _stack: _Registry(2))
    calls: list[Any] = []
    monkeypatch.setattr(jobs, "requeue_soon", lambda: calls.append(1))
    jobs.requeue_if_stale()
    assert not calls and not jobs._queue_checked


def test_a_rescore_runs_beside_the_trainers_checks_and_one_more_waits_at_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A soak trial: 1,872 open tasks took 10 min 48 s to re-score, and the trainer checked
    # nothing meanwhile. Now the promotion's check returns at once; promotions during a
    # re-score queue one more (it reads the champion when it starts: the newest).
    jobs = trainer.TrainerJobs(Settings())
    started, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def slow(*_args: Any) -> None:
        runs.append(1)
        started.set()
        release.wait(10)

    monkeypatch.setattr(trainer, "requeue_after_promotion", slow)
    monkeypatch.setattr(jobs, "_bridge", lambda: SimpleNamespace(client=None, project_id=1))
    before = time.monotonic()
    jobs.requeue_soon()
    assert started.wait(5) and time.monotonic() - before < 5
    for _ in range(3):
        jobs.requeue_soon()
    release.set()
    deadline = time.monotonic() + 5
    while len(runs) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert len(runs) == 2


def test_before_a_bootstrap_the_trainer_says_so_once_not_a_traceback_a_minute(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    jobs = trainer.TrainerJobs(Settings())
    monkeypatch.setattr(trainer, "open_registry", lambda _stack: _Registry(None))
    ran: list[Any] = []
    monkeypatch.setattr(trainer, "train_once", lambda *a, **k: ran.append(1))
    with caplog.at_level("INFO", logger="eddy.trainer"):
        for _ in range(3):
            jobs._train()
    said = [r for r in caplog.records if "no champion model yet" in r.getMessage()]
    assert len(said) == 1 and not ran and not any(r.exc_info for r in caplog.records)
    assert jobs.cadence["last_failure"] is None and jobs.cadence["last_check_at"]
