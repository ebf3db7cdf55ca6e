"""The demo's replay resends what the broker refused, and gives up after a bound."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.demo.replay import replay


class _Future:
    """A send's outcome; ``done=False``: the broker answers only at the next flush."""

    def __init__(self, ok: bool, done: bool = True) -> None:
        self.is_done = done
        self.ok = ok

    def failed(self) -> bool:
        return not self.ok


class _Producer:
    """Refuses the first ``refuse`` sends of the event with id ``bad``."""

    def __init__(self, bad: str, refuse: int) -> None:
        self.bad, self.refuse = bad, refuse
        self.accepted: list[str] = []
        self.sends = 0

    def send(self, channel: str, event: Mapping[str, Any]) -> _Future:
        self.sends += 1
        if event["id"] == self.bad and self.refuse > 0:
            self.refuse -= 1
            return _Future(False)
        self.accepted.append(str(event["id"]))
        return _Future(True)

    def flush(self, timeout_s: float | None = 30.0) -> None:
        pass


EVENTS = [("chat", {"id": f"e{i}"}) for i in range(5)]


def test_a_refused_event_is_sent_again_and_none_is_lost() -> None:
    producer = _Producer("e2", refuse=2)
    seen: list[int] = []
    lost = replay(producer, EVENTS, rate=1e6, on_sent=seen.append, sleep=lambda _s: None)
    assert lost == 0
    assert sorted(producer.accepted) == [f"e{i}" for i in range(5)]
    assert producer.sends == 7 and seen == [1, 2, 3, 4, 5]


def test_an_event_refused_every_time_is_given_up_after_the_bound() -> None:
    producer = _Producer("e1", refuse=100)
    lost = replay(producer, EVENTS, rate=1e6, attempts=3, sleep=lambda _s: None)
    assert lost == 1
    assert producer.accepted == ["e0", "e2", "e3", "e4"]
    assert producer.sends == 4 + 3


def test_a_stopped_replay_sends_nothing_more() -> None:
    producer = _Producer("none", refuse=0)
    sends_before_stop = 2
    lost = replay(
        producer,
        EVENTS,
        rate=1e6,
        sleep=lambda _s: None,
        stopped=lambda: producer.sends >= sends_before_stop,
    )
    assert lost == 0
    assert producer.accepted == ["e0", "e1"]


class _SlowProducer:
    """Answers sends at flush time; refuses the first send of ``bad``."""

    def __init__(self, bad: str) -> None:
        self.bad = bad
        self.inflight: list[tuple[_Future, str]] = []
        self.accepted: list[str] = []
        self.flushes = 0

    def send(self, channel: str, event: Mapping[str, Any]) -> _Future:
        eid = str(event["id"])
        future = _Future(ok=eid != self.bad, done=False)
        if eid == self.bad:
            self.bad = ""  # refused once only
        self.inflight.append((future, eid))
        return future

    def flush(self, timeout_s: float | None = 30.0) -> None:
        self.flushes += 1
        for future, eid in self.inflight:
            future.is_done = True
            if future.ok:
                self.accepted.append(eid)
        self.inflight = []


def test_enough_stops_sending_but_delivers_what_was_sent() -> None:
    # e2, the last event sent before the stop, is refused at the first flush: it is resent
    # and delivered after the stop, not dropped as a halted replay would.
    producer = _SlowProducer("e2")
    seen: list[int] = []
    lost = replay(
        producer,
        EVENTS,
        rate=1e6,
        on_sent=seen.append,
        sleep=lambda _s: None,
        enough=lambda: len(seen) >= 3,
    )
    assert lost == 0 and seen == [1, 2, 3]
    assert sorted(producer.accepted) == ["e0", "e1", "e2"] and producer.flushes == 2
