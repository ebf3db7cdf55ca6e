"""`eddy up` says when it cannot read the consumer offsets for a whole stall span (a broker
that lost a group's stored offsets stopped the pipeline while `eddy up` said nothing), once,
and when it can again."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

from kafka.errors import KafkaError

from services.core.settings import Settings
from services.stack.liveness import StallWatch, restart_stalled
from services.stack.process import Child


def test_unreadable_offsets_are_said_once_after_a_span_and_their_return_too() -> None:
    watch = StallWatch(Settings().override(console={"stall_restart_s": 180}), ["normalize"])
    error = KafkaError("no fetch answered within 3s for ['channel.chat.v1[0]']")
    watch.unread(error, 1000.0)
    watch.unread(error, 1170.0)
    assert watch.notices() == [], "shorter than a span: a broker restart, say"
    watch.unread(error, 1190.0)
    broker = cast(Child, SimpleNamespace(name="broker", log_path=Path("/d/logs/broker.log")))
    said: list[str] = []
    assert restart_stalled(watch, [broker], said.append) == []
    assert said == [
        "could not read the consumer groups' offsets from the broker for 190s (KafkaError: "
        "no fetch answered within 3s for ['channel.chat.v1[0]']): no stalled worker can be "
        "seen or restarted meanwhile, and the workers may be waiting for the broker; broker "
        "log /d/logs/broker.log"
    ]
    watch.unread(error, 1500.0)
    assert watch.notices() == [], "said once"
    watch.read_again()
    assert watch.notices() == ["the broker answers offset reads again"]
    watch.read_again()
    watch.unread(error, 2000.0)
    assert watch.notices() == [], "a new outage counts from its own start"
