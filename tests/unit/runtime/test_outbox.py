"""The outbox re-sends what the broker refused and returns only when all of it is there."""

from __future__ import annotations

import asyncio
from typing import Any

from services.runtime.outbox import Outbox


class FlakyTopic:
    """A topic whose first `fail` sends end in an error, as while the broker's storage is
    down."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.stored: list[bytes] = []

    async def send(self, key: bytes | None, value: bytes) -> asyncio.Future[Any]:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.fail > 0:
            self.fail -= 1
            fut.set_exception(RuntimeError("UnknownError"))
        else:
            self.stored.append(value)
            fut.set_result(None)
        return fut


def test_failed_sends_are_sent_again_until_stored() -> None:
    async def run() -> tuple[int, list[bytes]]:
        topic = FlakyTopic(fail=3)
        box = Outbox(first_delay_s=0.0)
        for i in range(5):
            await box.send(topic, None, b"%d" % i)
        resent = await box.delivered()
        assert len(box) == 0
        return resent, topic.stored

    resent, stored = asyncio.run(run())
    assert resent == 3
    assert sorted(stored) == [b"0", b"1", b"2", b"3", b"4"]


def test_nothing_pending_is_nothing_to_wait_for() -> None:
    assert asyncio.run(Outbox().delivered()) == 0
