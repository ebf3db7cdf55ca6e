"""A process's pulse on its own disk: a file whose modification time the heartbeat renews.

`eddy alive` (a container's HEALTHCHECK, Kubernetes' liveness probe) reads it to tell a hung
process from a live one. The heartbeat in Redis says the same to every other host, but a
liveness check must not depend on Redis: an outage of a minute and a half would have
restarted every worker and the trainer (its run in progress lost) while they were fine."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

log = logging.getLogger("eddy.pulse")
_warned: set[Path] = set()  # one warning per data dir, not one every 2 s

MAX_AGE_S = 15.0  # as the Redis heartbeat's TTL: a beat every 2 s, silent this long is hung


def pulse_path(data_dir: Path, host: str | None = None) -> Path:
    """One file per host (a container), not per process: `eddy alive` asks whether anything
    of this container is alive, and a restarted process leaves no stale file behind."""
    return data_dir / "pulse" / (host or socket.gethostname())


def beat(data_dir: Path) -> None:
    """Renew the pulse. Best effort: a data dir that cannot be written only leaves the Redis
    heartbeat to `eddy alive`."""
    path = pulse_path(data_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()  # an existing file's time renewed
    except OSError as exc:
        if data_dir not in _warned:
            _warned.add(data_dir)
            log.warning(
                "cannot write the pulse %s (%s): `eddy alive` falls back to the heartbeat in "
                "Redis; make EDDY_DATA_DIR writable",
                path,
                exc.strerror or type(exc).__name__,
            )


def fresh(data_dir: Path, now: float | None = None, max_age_s: float = MAX_AGE_S) -> bool:
    try:
        mtime = pulse_path(data_dir).stat().st_mtime
    except OSError:
        return False
    return (now if now is not None else time.time()) - mtime <= max_age_s
