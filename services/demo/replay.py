"""The demo's replay producer: send at a steady rate and resend what the broker refused.

kafka-python retries only errors it knows to be transient; the local broker answers a
failed write to its S3 storage (s3rver resetting a connection) with UNKNOWN, which it does
not retry. Fire-and-forget then lost that batch and the demo waited for its predictions
until --max-minutes. A resent event that did land twice is dropped downstream by event id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

log = logging.getLogger("eddy.demo")

Event = tuple[str, Mapping[str, Any]]


class Sender(Protocol):
    def send(self, channel: str, event: Mapping[str, Any]) -> Any: ...
    def flush(self, timeout_s: float | None = 30.0) -> None: ...


def replay(
    producer: Sender,
    events: Sequence[Event],
    rate: float,
    on_sent: Callable[[int], None] = lambda _n: None,
    attempts: int = 5,
    sleep: Callable[[float], object] = time.sleep,
    stopped: Callable[[], bool] = lambda: False,
    enough: Callable[[], bool] = lambda: False,
) -> int:
    """Send ``events`` at ``rate`` per second, resending any the broker refused (up to
    ``attempts`` sends each). Returns how many were given up on (logged by position).
    ``stopped`` ends it early (Ctrl-C): nothing more is sent or resent, so the producer can
    close while the broker is still up. ``enough`` ends the sending early but still
    delivers what was sent (the demo's label budget is spent: later events would only wait)."""
    pending: list[tuple[Any, int, int]] = []  # (future, index, sends so far)

    def settle() -> int:
        lost = 0
        still: list[tuple[Any, int, int]] = []
        for future, i, sends in pending:
            if not future.is_done:  # kafka-python's Future: a property
                still.append((future, i, sends))
            elif future.failed():
                if sends >= attempts:
                    log.error("demo event %d not accepted after %d sends; giving up", i, sends)
                    lost += 1
                else:
                    log.warning("demo event %d refused by the broker; sending it again", i)
                    channel, event = events[i]
                    still.append((producer.send(channel, event), i, sends + 1))
        pending[:] = still
        return lost

    t0 = time.monotonic()
    lost = 0
    for i, (channel, event) in enumerate(events):
        if stopped():
            return 0
        if enough():
            break
        pending.append((producer.send(channel, event), i, 1))
        on_sent(i + 1)
        lost += settle()
        wait = t0 + (i + 1) / rate - time.monotonic()
        if wait > 0:
            sleep(wait)
    for _ in range(attempts + 1):
        if not pending or stopped():
            break
        producer.flush(30.0)
        lost += settle()
    return lost + len(pending)
