"""The workers' batches: Faust's ``take_events``, but a batch the agent did not finish is
never committed.

``take_events`` acks every event of the batch it yielded in a ``finally`` around its
``yield``, and Faust closes that generator itself when it stops the agent's stream: when the
agent leaves the batch half done, because the worker was stopped (SIGTERM, Ctrl-C, `eddy up`
restarting a stalled worker) while it retried a dependency that was down, or because the
agent raised, the batch was acked anyway and its offsets committed at the stop. Those events
were lost without a dead letter or a log line (a failure trial: Redis frozen, then the worker
stopped). So each message of a batch is marked acked while the agent has it, which makes
Faust's ack of it a no-op (``faust.types.tuples.Message.ack``), and unmarked only once the
agent asks for the next batch: then ``take_events`` acks it for real. A batch left
unfinished never joins the acked offsets, the commit stops below its first record, and the
next start reads it again (at least once: the stages' outputs are idempotent).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any

log = logging.getLogger("eddy.runtime")


async def take_batches(stream: Any, size: int, within_s: float) -> AsyncGenerator[list[Any], None]:
    """``stream.take_events(size, within=within_s)``, holding back a batch left unfinished."""
    async for events in stream.take_events(size, within=within_s):
        held = [e.message for e in events if not e.message.acked]
        for message in held:
            message.acked = True  # Faust's ack of it does nothing while the agent has it
        try:
            yield list(events)
        except BaseException:
            # GeneratorExit: the agent left this batch unfinished (stopped, or it raised).
            log.info("stopped inside a batch of %d record(s): left uncommitted, read again "
                     "at the next start", len(events))  # fmt: skip
            raise
        for message in held:
            message.acked = False  # finished: take_events' own ack now commits it
