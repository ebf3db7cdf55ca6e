"""The read model with Kafka and Redis down (nothing listens on port 9): it answers at once,
says what it could not read, and claims nothing it cannot know."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from kafka.errors import RequestTimedOutError

from services.app.opsfacts import TrainerFacts
from services.core.settings import load_settings
from services.ops.readmodel import ReadModel, _describe


def test_unreachable_kafka_and_redis_are_unknown_not_facts(tmp_path: Path) -> None:
    s = load_settings(
        stack={"data_dir": tmp_path, "with_label_studio": True},
        kafka={"bootstrap": "127.0.0.1:9"},
        redis={"url": "redis://127.0.0.1:9/0"},
        label_studio={"url": "http://127.0.0.1:9"},
    )
    model = ReadModel(s, TrainerFacts(s))
    called: list[str] = []
    # With the heartbeats unread, the other Redis reads are not tried: a hung Redis cost a
    # timeout each, and a console sample took 35-60 s.
    model._labels = lambda *_a: called.append("labels")  # type: ignore[method-assign,assignment]
    model.facts.runs = lambda *_a: called.append("runs")  # type: ignore[method-assign,assignment]
    model.facts.trigger = lambda *_a: called.append("trigger")  # type: ignore[method-assign,assignment]
    try:
        snap = model.sample()
    finally:
        model.close()
    assert snap["errors"]["kafka"].startswith("BrokerUnavailable: no Kafka broker reachable")
    assert "redis" in snap["errors"] and called == []
    assert all(snap["errors"][p] == snap["errors"]["redis"] for p in ("labels", "runs", "trigger"))
    # It said "last run: none yet", "last failure: none", and that the trainer went quiet.
    assert snap["cadence"]["unknown"].startswith("could not read redis, runs")
    assert snap["workers"]["missing_roles"] == []
    keys = {b["key"] for b in snap["banner"]}
    assert "EddyTrainerStale" not in keys and "EddyRoleWithoutWorker" not in keys
    assert "EddyReadFailed" in keys


def test_an_error_that_names_its_type_is_not_prefixed_twice() -> None:
    class KafkaTimeoutError(Exception):
        def __str__(self) -> str:
            return "KafkaTimeoutError: Timeout after 30s"

    assert _describe(KafkaTimeoutError()) == "KafkaTimeoutError: Timeout after 30s"
    assert _describe(ValueError("bad")) == "ValueError: bad"
    timed_out = RequestTimedOutError("Request timed out after 4999 ms")
    assert _describe(timed_out) == "[Error 7] RequestTimedOutError: Request timed out after 4999 ms"


def test_an_outage_is_logged_once_not_every_sample(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = load_settings(
        stack={"data_dir": tmp_path, "with_label_studio": False},
        kafka={"bootstrap": "127.0.0.1:9"},
        redis={"url": "redis://127.0.0.1:9/0"},
    )
    model = ReadModel(s, TrainerFacts(s))
    try:
        with caplog.at_level(logging.WARNING, logger="eddy.ops"):
            model.sample()
            first = len(caplog.records)
            model.sample()
    finally:
        model.close()
    assert first >= 2 and len(caplog.records) == first
