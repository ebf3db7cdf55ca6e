"""`eddy up` says when the champion changes after it started, and who changed it."""

from __future__ import annotations

from typing import Any

from services.stack.champion import ChampionWatch, change_line


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


def test_a_promotion_and_a_rollback_are_each_said_once() -> None:
    registry, said = _Registry(), list[str]()
    watch = ChampionWatch(registry, said.append, every_s=10)
    watch.announce()
    watch.poll(0.0)
    registry.champion = 2
    registry.events.append({"type": "promoted", "version": 2, "by": "trainer (the gate)"})
    watch.poll(5.0)  # not due yet
    assert said == ["serving model v1 from /data/models"]
    watch.poll(10.0)
    watch.poll(20.0)
    registry.champion = 1
    registry.events.append({"type": "rolled_back", "version": 1, "by": "ops console (10.0.0.5)"})
    watch.poll(30.0)
    assert said[1:] == [
        "champion: v1 -> v2, promoted by trainer (the gate)",
        "champion: v2 -> v1, rolled back by ops console (10.0.0.5)",
    ]


def test_a_registry_error_is_skipped_and_the_change_said_later() -> None:
    registry, said = _Registry(), list[str]()
    registry.champion = None
    watch = ChampionWatch(registry, said.append, every_s=1)
    watch.announce()
    assert said[0].startswith("note: no champion model in /data/models")
    registry.fail = True
    watch.poll(1.0)
    registry.fail, registry.champion = False, 1
    watch.poll(2.0)
    assert said[1:] == ["champion: none -> v1"]  # no history event: nothing invented


def test_the_line_reads_the_newest_event_for_that_version() -> None:
    history = [
        {"type": "bootstrapped", "version": 1, "by": "eddy bootstrap (ops@host)"},
        {"type": "promoted", "version": 2},
        {"type": "rolled_back", "version": 1},
    ]
    assert change_line(2, 1, history) == "champion: v2 -> v1, rolled back"
