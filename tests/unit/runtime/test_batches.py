"""A batch the agent left unfinished is never acked: Faust's take_events acks the batch it
yielded in a finally, whatever the agent did with it (a worker stopped while it retried a
dependency lost those events)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

import pytest

from services.runtime.batches import take_batches


@dataclass
class Message:
    offset: int
    acked: bool = False


@dataclass
class Event:
    message: Message


@dataclass
class FakeStream:
    """take_events as faust-streaming 0.15.3 writes it: ack every event yielded, in a finally
    (Message.ack records an offset only for a message not yet marked acked), and the
    generator kept, so the stream closes it itself when the agent stops."""

    batches: list[list[Event]]
    committed: list[int] = field(default_factory=list)
    buffers: list[AsyncGenerator[list[Event], None]] = field(default_factory=list)

    def take_events(self, size: int, within: float) -> AsyncGenerator[list[Event], None]:
        self.buffers.append(self._take())
        return self.buffers[-1]

    async def _take(self) -> AsyncGenerator[list[Event], None]:
        for events in self.batches:
            try:
                yield list(events)
            finally:
                for e in events:
                    if not e.message.acked:
                        e.message.acked = True
                        self.committed.append(e.message.offset)


def _stream() -> FakeStream:
    return FakeStream([[Event(Message(0)), Event(Message(1))], [Event(Message(2))]])


def test_finished_batches_are_acked() -> None:
    stream = _stream()

    async def run() -> None:
        async for _ in take_batches(stream, 2, 0.1):
            pass

    asyncio.run(run())
    assert stream.committed == [0, 1, 2]


@pytest.mark.parametrize("stop", [asyncio.CancelledError, RuntimeError])
def test_a_batch_left_unfinished_is_not_acked(stop: type[BaseException]) -> None:
    stream = _stream()

    async def run() -> None:
        batches = take_batches(stream, 2, 0.1)
        with pytest.raises(stop):
            async for events in batches:
                if events[0].message.offset == 2:
                    raise stop("stopped while retrying a dependency")
        for buffer in stream.buffers:  # the stream, stopping, closes take_events first
            await buffer.aclose()
        await batches.aclose()  # then the loop's async-generator finalizer, this one

    asyncio.run(run())
    assert stream.committed == [0, 1], "offset 2 is read again at the next start"
