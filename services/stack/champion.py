"""What `eddy up` says about the model it serves: the champion at start, and each change after
it (a promotion by the trainer, a rollback from the console or the classify worker), so a
terminal watching the stack learns of it without reading the classify log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("eddy.up")


class Pointer(Protocol):
    @property
    def where(self) -> str: ...

    def champion_version(self) -> int | None: ...

    def history(self) -> list[dict[str, Any]]: ...


def change_line(previous: int | None, now: int | None, history: list[dict[str, Any]]) -> str:
    """One line for a champion change, with what the registry's history says made it."""
    was = f"v{previous}" if previous is not None else "none"
    line = f"champion: {was} -> " + (f"v{now}" if now is not None else "none")
    event = next((e for e in reversed(history) if e.get("version") == now), None)
    if now is not None and event is not None:
        line += f", {str(event.get('type', '')).replace('_', ' ')}"
        if event.get("by"):
            line += f" by {event['by']}"
    return line


class ChampionWatch:
    """Reads the champion pointer every ``every_s`` seconds from the supervisor's loop."""

    def __init__(self, registry: Pointer, say: Callable[[str], None], every_s: float = 10.0):
        self.registry, self.say, self.every_s = registry, say, every_s
        self.current: int | None = None
        self._due = 0.0

    def announce(self) -> None:
        self.current = self.registry.champion_version()
        if self.current is None:
            self.say(
                f"note: no champion model in {self.registry.where}; classify holds events in "
                "Kafka until one exists (`eddy bootstrap --seed FILE`)"
            )
        else:
            self.say(f"serving model v{self.current} from {self.registry.where}")

    def poll(self, now: float) -> None:
        if now < self._due:
            return
        self._due = now + self.every_s
        try:
            seen = self.registry.champion_version()
            if seen == self.current:
                return
            history = self.registry.history()
        except Exception as exc:  # a registry hiccup must not stop the supervisor
            log.warning("could not read the champion pointer: %s", type(exc).__name__)
            return
        self.say(change_line(self.current, seen, history))
        self.current = seen
