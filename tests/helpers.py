"""Shared test helpers: free ports, child env from settings, topic readers, closing a Label
Studio client."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from kafka import KafkaConsumer, TopicPartition

from services.annotation.client import LabelStudioClient
from services.core.settings import KafkaSettings
from services.stack.probes import free_port

__all__ = ["TopicReader", "close_label_studio", "free_port", "wait"]
T = TypeVar("T")


def close_label_studio(client: LabelStudioClient) -> None:
    """Sockets left to the garbage collector raise ResourceWarning, an error in the test run."""
    client.close()


class TopicReader:
    """Reads a whole topic from the beginning (no consumer group), incrementally."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self.topic = topic
        self.consumer = KafkaConsumer(
            bootstrap_servers=kafka.servers,
            enable_auto_commit=False,
            consumer_timeout_ms=500,
            client_id=f"test-reader-{topic}",
        )
        parts = [TopicPartition(topic, p) for p in range(kafka.partitions)]
        self.consumer.assign(parts)
        self.consumer.seek_to_beginning(*parts)
        self.records: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        batch = self.consumer.poll(timeout_ms=500, max_records=5000)
        for msgs in batch.values():
            for m in msgs:
                try:
                    record = json.loads(m.value)
                except ValueError:
                    continue  # poisoned records some tests inject on purpose
                self.records.append(record)
        return self.records

    def wait_for(
        self, done: Callable[[list[dict[str, Any]]], bool], timeout_s: float
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if done(self.poll()):
                return self.records
        return self.records

    def close(self) -> None:
        self.consumer.close()


def wait(what: str, fn: Callable[[], T | None], timeout_s: float = 90) -> T:
    """Poll ``fn`` until it returns something truthy; fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
