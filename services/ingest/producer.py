"""Producer API for integrations: validate a channel event and write it to its topic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata

from services.core.kafka import make_producer
from services.core.schemas import SchemaError, validate
from services.core.settings import CHANNELS, KafkaSettings
from services.core.strictjson import StrictJSONError, strict_loads
from services.core.topics import Topics
from services.ingest.channels import ADAPTERS
from services.ingest.plausible import semantic_errors


class InvalidEvent(ValueError):
    def __init__(self, channel: str, errors: list[SchemaError]) -> None:
        self.channel = channel
        self.errors = errors
        detail = "; ".join(f"{e.path} {e.message}" for e in errors)
        super().__init__(f"invalid {channel} event: {detail}")


class UnknownChannel(ValueError):
    def __init__(self, channel: str) -> None:
        super().__init__(f"unknown channel {channel!r}; known: {', '.join(CHANNELS)}")


def check_event(channel: str, event: object) -> list[SchemaError]:
    """What normalize would refuse this event for: its schema, then an implausible time or an
    id holding personal data (each error names the event's own field)."""
    if channel not in ADAPTERS:
        raise UnknownChannel(channel)
    adapter = ADAPTERS[channel]
    errors = validate(adapter.schema, event)
    if errors or not isinstance(event, Mapping):
        return errors
    refused = semantic_errors(adapter, event)
    return refused[1] if refused else []


class EventProducer:
    """``with EventProducer(settings) as p: p.send("chat", {...})``; ``flush()`` waits for
    the broker's acknowledgement of everything sent so far."""

    def __init__(self, settings: KafkaSettings, producer: KafkaProducer | None = None) -> None:
        self.topics = Topics.from_settings(settings)
        self._producer = producer or make_producer(settings)

    def send(
        self, channel: str, event: Mapping[str, Any], checked: bool = False
    ) -> FutureRecordMetadata:
        """``checked``: the caller ran ``check_event`` on it already (the gateway checks a
        whole batch before sending any of it; a second check a moment later could refuse an
        event at the edge of the time window halfway through the batch)."""
        errors = [] if checked else check_event(channel, event)
        if errors:
            raise InvalidEvent(channel, errors)
        key = ADAPTERS[channel].key(event).encode()
        try:
            value = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
            if not checked:  # NaN, infinity, 10**50: what normalize would refuse as JSON
                strict_loads(value)
        except (StrictJSONError, UnicodeEncodeError) as exc:
            why = "a string holds a lone surrogate" if isinstance(exc, UnicodeError) else exc
            raise InvalidEvent(channel, [SchemaError("$", f"not acceptable JSON: {why}")]) from None
        return self._producer.send(self.topics.channel(channel), key=key, value=value)

    def send_raw(
        self, channel: str, value: bytes, key: bytes | None = None
    ) -> FutureRecordMetadata:
        """Unvalidated bytes (normalize dead-letters what is invalid)."""
        if channel not in ADAPTERS:
            raise UnknownChannel(channel)
        return self._producer.send(self.topics.channel(channel), key=key, value=value)

    def flush(self, timeout_s: float | None = 30.0) -> None:
        self._producer.flush(timeout=timeout_s)

    def close(self) -> None:
        self._producer.close(timeout=10)

    def __enter__(self) -> EventProducer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self.flush()
        finally:
            self.close()
