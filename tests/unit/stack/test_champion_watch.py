"""`eddy up` says when the champion changes after it started, and who changed it."""

from __future__ import annotations

import time
from typing import Any

from services.stack.champion import ChampionWatch, change_event, change_line


class _Registry:
    where = "/data/models"

    def __init__(self) -> None:
        self.champion: int | None = 1
        self.events: list[dict[str, Any]] = []
        self.fail = False

    def champion_version(self) -> int | None:
        if self.fail:
            raise OSError("gone")
        return self.champion

    def history(self) -> list[dict[str, Any]]:
        return self.events

    def change(self, version: int, kind: str, by: str | None = None) -> None:
        self.events.append({"type": kind, "version": version,
                            "previous_version": self.champion, "by": by})  # fmt: skip
        self.champion = version


def test_a_promotion_and_a_rollback_are_each_said_once() -> None:
    registry, said = _Registry(), list[str]()
    watch = ChampionWatch(registry, said.append, every_s=10)
    watch.announce()
    watch.poll(0.0)
    registry.change(2, "promoted", "trainer (the gate)")
    watch.poll(5.0)  # not due yet
    assert said == ["serving model v1 from /data/models"]
    watch.poll(10.0)
    watch.poll(20.0)
    registry.change(1, "rolled_back", "ops console (10.0.0.5)")
    watch.poll(30.0)
    assert said[1:] == [
        "champion: v1 -> v2, promoted by trainer (the gate)",
        "champion: v2 -> v1, rolled back by ops console (10.0.0.5)",
    ]


def test_the_history_event_written_after_the_pointer_is_waited_for() -> None:
    registry, said = _Registry(), list[str]()
    watch = ChampionWatch(registry, said.append, every_s=1)
    watch.announce()
    registry.events.append({"type": "promoted", "version": 2, "previous_version": None})
    registry.champion = 2  # moved; its own event not written yet (an older v2 event is)
    watch.poll(1.0)
    assert said[1:] == [], "not said without the event that made it"
    registry.events.append({"type": "promoted", "version": 2, "previous_version": 1,
                            "by": "eddy promote (ops@host)"})  # fmt: skip
    watch.poll(2.0)
    assert said[1:] == ["champion: v1 -> v2, promoted by eddy promote (ops@host)"]


def test_a_change_with_no_event_is_said_after_a_wait_and_errors_are_skipped() -> None:
    registry, said = _Registry(), list[str]()
    registry.champion = None
    watch = ChampionWatch(registry, said.append, every_s=1)
    watch.announce()
    assert said[0].startswith("note: no champion model in /data/models")
    registry.fail = True
    watch.poll(1.0)
    registry.fail, registry.champion = False, 1
    for t in (2.0, 3.0, 4.0):
        watch.poll(t)
    assert said[1:] == ["champion: none -> v1"]  # no history event: nothing invented


def test_two_changes_between_polls_are_said_as_the_last_of_them() -> None:
    # An ops trial: a promotion then a rollback within 10 s read "champion: v5 -> v3" alone.
    registry, said = _Registry(), list[str]()
    watch = ChampionWatch(registry, said.append, every_s=1)
    watch.announce()
    registry.change(2, "promoted", "eddy promote (ops@host)")
    registry.change(3, "promoted", "trainer (the gate)")
    for t in (1.0, 2.0, 3.0):
        watch.poll(t)
    assert said[1:] == [
        "champion: v1 -> v3; in several changes, the last, promoted by trainer (the gate)"
    ]


def test_the_watch_runs_on_its_own_thread_until_stopped() -> None:
    registry, said = _Registry(), list[str]()
    watch = ChampionWatch(registry, said.append, every_s=0.05)
    watch.announce()
    watch.start()
    registry.change(2, "promoted")
    deadline = time.monotonic() + 10
    while len(said) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    watch.stop()
    assert said[1:] == ["champion: v1 -> v2, promoted"]


def test_the_line_reads_the_event_of_that_change() -> None:
    history = [
        {"type": "bootstrapped", "version": 1, "previous_version": None},
        {"type": "promoted", "version": 2, "previous_version": 1},
        {"type": "rolled_back", "version": 1, "previous_version": 2},
    ]
    assert change_line(2, 1, change_event(2, 1, history)) == "champion: v2 -> v1, rolled back"
    assert change_event(3, 1, history) is None
