"""What a worker sends for one batch, held until the broker has all of it.

Faust sends in the background and, when a send fails, only logs it ("FutureMessage exception
was never retrieved"); the input offset is committed all the same. With the broker's storage
down for a few seconds (a kill -9 of the S3 server), normalize lost every event in hand that
way. Each agent now takes its input in batches and awaits `delivered()` at the end of a
batch: Faust acks a batch's input events only after the loop body returns, so an offset is
never committed ahead of the outputs made from it. A failed send is sent again, with backoff,
until the broker takes it or the worker is stopped (then the batch is not acked, and is
read again after the restart: at least once, deduplicated downstream by stable ids).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("eddy.outbox")

# Normalize and route take their input in batches of up to this many, waiting this long.
STAGE_BATCH = 200
STAGE_WAIT_S = 0.02


@dataclass
class _Send:
    topic: Any  # faust.TopicT
    key: bytes | None
    value: bytes
    future: Any  # faust FutureMessage, an asyncio.Future


@dataclass
class Outbox:
    first_delay_s: float = 0.5
    max_delay_s: float = 10.0
    _pending: list[_Send] = field(default_factory=list)

    async def send(self, topic: Any, key: bytes | None, value: bytes) -> None:
        future = await topic.send(key=key, value=value)
        self._pending.append(_Send(topic, key, value, future))

    def send_soon(self, topic: Any, key: bytes | None, value: bytes) -> None:
        """Queue a send without a round trip through the event loop per record: a
        micro-batch's outputs go to the producer together, and ``delivered`` awaits them."""
        future = topic.send_soon(key=key, value=value)
        self._pending.append(_Send(topic, key, value, future))

    def __len__(self) -> int:
        return len(self._pending)

    async def delivered(self) -> int:
        """Wait until every send so far is on the broker; returns how many were re-sent."""
        pending, self._pending = self._pending, []
        delay, resent = self.first_delay_s, 0
        while pending:
            failed: list[_Send] = []
            for item in pending:
                try:
                    await item.future
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the broker refused or was unreachable
                    failed.append(item)
                    error = exc
            if not failed:
                break
            log.warning(
                "%d of %d send(s) failed (%s); sending them again in %.1fs",
                len(failed),
                len(pending),
                type(error).__name__,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(self.max_delay_s, delay * 2)
            resent += len(failed)
            pending = [
                _Send(i.topic, i.key, i.value, await i.topic.send(key=i.key, value=i.value))
                for i in failed
            ]
        return resent
