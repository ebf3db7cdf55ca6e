"""The embedded stack's logs, kept to a size: each process writes its log through a file it
opened in append mode, which `eddy up` cannot reopen for it, so a log past the limit is
copied to NAME.log.1 (replacing the one before) and truncated in place, as logrotate's
copytruncate does. An append-mode writer goes on at the new end; lines written between the
copy and the truncation are lost, a few at most, once per rotation."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger("eddy.stack")
EVERY_S = 60.0


def rotate_if_large(path: Path, max_bytes: int) -> bool:
    """Rotate ``path`` when it is larger than ``max_bytes``; True when it did."""
    try:
        if max_bytes <= 0 or path.stat().st_size <= max_bytes:
            return False
        shutil.copyfile(path, path.with_name(path.name + ".1"))
        with path.open("r+b") as f:
            f.truncate(0)
    except OSError as exc:  # gone meanwhile, or a full disk: the next check tries again
        log.warning("could not rotate %s: %s", path.name, type(exc).__name__)
        return False
    return True


class LogRotation:
    """Checks the logs every ``every_s`` from `eddy up`'s supervising loop."""

    def __init__(
        self,
        paths: Callable[[], Iterable[Path]],
        max_mb: int,
        say: Callable[[str], None],
        every_s: float = EVERY_S,
    ) -> None:
        self.paths, self.max_bytes, self.say, self.every_s = paths, max_mb * 1024**2, say, every_s
        self._next = 0.0

    def tick(self, now: float) -> None:
        if self.max_bytes <= 0 or now < self._next:
            return
        self._next = now + self.every_s
        for path in self.paths():
            if rotate_if_large(path, self.max_bytes):
                self.say(f"rotated {path} (over EDDY_LOG_MAX_MB); the one before is {path}.1")
