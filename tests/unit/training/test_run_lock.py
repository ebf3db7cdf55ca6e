"""What a run that could not start says of the one that holds the trainer's lock."""

from __future__ import annotations

from services.training.runs import busy


def test_a_busy_run_names_who_holds_the_lock() -> None:
    now = 1_800_000_000.0
    holder = {"by": "trainer", "since": now - 42.4, "host": "vm", "pid": 7}
    assert busy(holder, now) == "another training run is in progress (trainer, for 42 s)"
    assert busy(None, now) == "another training run is in progress"
    assert busy({"by": None, "since": None}, now) == "another training run is in progress"
