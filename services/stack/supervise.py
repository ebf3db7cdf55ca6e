"""When to restart a crashed child of `eddy up`. Pure logic.

A crashed worker used to take the whole stack down 4 s later (and with the in-memory broker,
every accepted event with it). Now the child is restarted after a delay that doubles with each
crash in a row (1, 2, 4 ... 60 s) and resets once it has stayed up for a minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Backoff:
    first_s: float = 1.0
    max_s: float = 60.0
    healthy_after_s: float = 60.0
    _streak: dict[str, int] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)

    def started(self, name: str, now: float) -> None:
        self._started[name] = now

    def crashed(self, name: str, now: float) -> tuple[float, int]:
        """(delay before the restart, crashes in a row including this one)."""
        up_for = now - self._started.get(name, now)
        streak = 1 if up_for >= self.healthy_after_s else self._streak.get(name, 0) + 1
        self._streak[name] = streak
        return min(self.max_s, self.first_s * 2 ** min(streak - 1, 30)), streak


@dataclass
class Unanswered:
    """When a child that serves HTTP is hung: alive, but ``limit`` health probes in a row went
    unanswered (stopped with SIGSTOP, or its event loop blocked). A crash is the exit path's;
    this is the one a crash check never sees. Misses count only once the child has answered
    since it (re)started: a server still starting (the webhook took 16 s on 2 cores) is not
    hung, and killing it then would restart it forever."""

    limit: int = 3
    limits: dict[str, int] = field(default_factory=dict)  # a child's own, where it has one
    _misses: dict[str, int] = field(default_factory=dict)  # absent: not answered yet

    def limit_of(self, name: str) -> int:
        return self.limits.get(name, self.limit)

    def probed(self, name: str, answered: bool) -> bool:
        """Record one probe; True once its limit in a row went unanswered (then counts anew)."""
        if answered:
            self._misses[name] = 0
            return False
        if name not in self._misses:
            return False
        misses = self._misses[name] + 1
        self._misses[name] = 0 if misses >= self.limit_of(name) else misses
        return misses >= self.limit_of(name)

    def forget(self, name: str) -> None:
        """The child (re)started: it counts again once it has answered."""
        self._misses.pop(name, None)
