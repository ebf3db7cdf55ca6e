"""What `eddy up` says about the model it serves: the champion at start, and each change after
it (a promotion by the trainer, a rollback from the console or the classify worker), so a
terminal watching the stack learns of it without reading the classify log."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("eddy.up")
WAIT_FOR_HISTORY = 2  # polls to wait for the history event a pointer change is written before


class Pointer(Protocol):
    @property
    def where(self) -> str: ...

    def champion_version(self) -> int | None: ...

    def history(self) -> list[dict[str, Any]]: ...


def change_event(
    previous: int | None, now: int | None, history: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The history's record of exactly this change (the newest), if it is there yet."""
    found = [e for e in history if (e.get("version"), e.get("previous_version")) == (now, previous)]
    return found[-1] if found else None


def change_line(previous: int | None, now: int | None, event: dict[str, Any] | None) -> str:
    """One line for a champion change, with what the registry's history says made it."""
    was = f"v{previous}" if previous is not None else "none"
    line = f"champion: {was} -> " + (f"v{now}" if now is not None else "none")
    if event is not None:
        # Two changes between polls (a promotion, then a rollback): said as the last of them.
        line += "; in several changes, the last" if event.get("several") else ""
        line += f", {str(event.get('type', '')).replace('_', ' ')}"
        if event.get("by"):
            line += f" by {event['by']}"
    return line


class ChampionWatch:
    """Reads the champion pointer every ``every_s`` seconds, on a thread of its own: a registry
    in an object store that hangs must not hold up the supervisor's restarts or Ctrl-C."""

    def __init__(self, registry: Pointer, say: Callable[[str], None], every_s: float = 10.0):
        self.registry, self.say, self.every_s = registry, say, every_s
        self.current: int | None = None
        self._due, self._waited = 0.0, 0
        self._stop = threading.Event()

    def announce(self) -> None:
        self.current = self.registry.champion_version()
        if self.current is None:
            self.say(
                f"note: no champion model in {self.registry.where}; classify holds events in "
                "Kafka until one exists (`eddy bootstrap --seed FILE`)"
            )
        else:
            self.say(f"serving model v{self.current} from {self.registry.where}")

    def start(self) -> ChampionWatch:
        self._stop.clear()
        threading.Thread(target=self._run, name="champion-watch", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.poll(time.monotonic())

    def poll(self, now: float) -> None:
        if now < self._due:
            return
        self._due = now + self.every_s
        try:
            seen = self.registry.champion_version()
            if seen == self.current:
                return
            history = self.registry.history()
            event = change_event(self.current, seen, history)
        except Exception as exc:  # a registry hiccup must not stop the watch
            log.warning("could not read the champion pointer: %s", type(exc).__name__)
            return
        if event is None and self._waited < WAIT_FOR_HISTORY:
            self._waited += 1  # the pointer is written first, its history event just after
            return
        self._waited = 0
        if event is None and history and history[-1].get("version") == seen:
            event = {**history[-1], "several": True}
        self.say(change_line(self.current, seen, event))
        self.current = seen
