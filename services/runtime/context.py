"""Per-worker context: the Faust app for one role plus lazily created clients."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import faust
from redis.asyncio import Redis

from services.core.heartbeat import heartbeat_key
from services.core.rawletters import RawSealer
from services.core.records import (
    DecodeError,
    SourcePosition,
    dead_letter,
    dumps,
    loads,
    opaque_event_id,
)
from services.core.roles import ROLES
from services.core.schemas import SchemaError, validate
from services.core.settings import Settings
from services.core.topics import Topics
from services.runtime.credentials import faust_credentials
from services.runtime.faust_transport import EddyApp
from services.runtime.metrics import StageMetrics
from services.runtime.outbox import Outbox


def create_app(settings: Settings, role: str) -> faust.App:
    """One Faust app per role, so each role is its own consumer group and scales on its own
    (classify on GPU nodes, normalize/route anywhere)."""
    if role not in ROLES:
        raise ValueError(f"unknown worker role {role!r}; choose one of {ROLES}")
    kafka = settings.kafka
    app_id = f"{kafka.app_id}-{role}"
    app = EddyApp(
        app_id,
        broker=[f"kafka://{b}" for b in kafka.servers],
        broker_credentials=faust_credentials(kafka),  # TLS / SASL beyond PLAINTEXT
        store="memory://",  # durable state lives in Redis, not Faust tables
        # Faust writes a state directory even with the memory store; by default into the
        # current directory, which in a container is read-only (or root-owned).
        datadir=str(settings.stack.state_dir / app_id),
        autodiscover=False,
        web_enabled=False,
        topic_partitions=kafka.partitions,
        topic_replication_factor=kafka.replication_factor,
        topic_disable_leader=True,
        topic_allow_declare=False,  # topics are created up front with the right partitions
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=kafka.session_timeout_s,
        broker_heartbeat_interval=kafka.heartbeat_s,
        producer_linger_ms=5,
        # Do not wait for the event in hand before stopping or rebalancing: while Label Studio
        # was down the annotate agent held one for minutes and ignored SIGTERM. Its offset is
        # not committed, so it is redelivered after the restart (and deduplicated).
        stream_wait_empty=False,
        # At least once by default: every sink downstream dedupes by stable ids. With Apache
        # Kafka, exactly_once commits each output and its input offset in one transaction.
        processing_guarantee=kafka.processing_guarantee,
    )
    app.fetch_max_wait_ms = kafka.fetch_max_wait_ms
    return app


@dataclass
class WorkerContext:
    settings: Settings
    role: str
    app: faust.App
    topics: Topics
    metrics: StageMetrics
    # Shown in the heartbeat (`eddy status`): the model a classify worker serves.
    model_version: int | None = None
    # More for the heartbeat, by stage (route: its decisions per channel, for the console).
    details: dict[str, Any] = field(default_factory=dict)
    _redis: Redis | None = None
    _dlq: faust.TopicT | None = None
    _raw_dlq: faust.TopicT | None = None
    # Set when an operator opts in to keeping dead letters' raw bytes (encrypted).
    sealer: RawSealer | None = None
    # Every send of the current batch; agents await outbox.delivered() before the next one.
    outbox: Outbox = field(default_factory=Outbox)

    @classmethod
    def build(cls, settings: Settings, role: str) -> WorkerContext:
        return cls(
            settings,
            role,
            create_app(settings, role),
            Topics.from_settings(settings.kafka),
            StageMetrics(role),
            sealer=RawSealer.from_settings(settings.kafka),
        )

    def redis(self) -> Redis:
        # Created on first use inside the worker's event loop, never at import.
        if self._redis is None:
            self._redis = Redis.from_url(
                self.settings.redis.url,
                decode_responses=True,
                socket_timeout=10,
                health_check_interval=30,
                password=self.settings.redis.auth.get("password"),
            )
        return self._redis

    def raw_topic(self, *names: str) -> faust.TopicT:
        return self.app.topic(
            *names,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=self.settings.kafka.partitions,
        )

    def position(self, event: Any) -> SourcePosition:
        """Where a Faust event came from (topic, partition, offset, create time)."""
        msg = event.message
        ts = int(msg.timestamp * 1000) if msg.timestamp else None
        return SourcePosition(msg.topic, msg.partition, msg.offset, ts)

    async def send_dead_letter(self, record: dict[str, Any], original: bytes | None) -> None:
        """Publish a dead letter keyed by the SHA-256 of the event's key, not the key: the key
        is an id the producer chose (an email or an IP address, at times). The hash is a
        pseudonym, not an anonymisation (a guessed key can be checked against it); it keeps
        one key's dead letters on one partition, in order."""
        if self._dlq is None:
            self._dlq = self.raw_topic(self.topics.deadletter)
        if self.sealer is not None and original:
            sealed = self.sealer.seal(original)
            record["original"]["raw_kept"] = sealed is not None
            if sealed is not None:
                if self._raw_dlq is None:
                    self._raw_dlq = self.raw_topic(self.topics.deadletter_raw)
                await self.outbox.send(self._raw_dlq, *sealed)
        hashed = record.get("key_sha256")
        await self.outbox.send(self._dlq, hashed.encode() if hashed else None, dumps(record))
        self.metrics.deadletter(str(record["reason"]))

    async def delivered(self) -> None:
        """Wait until the broker has everything this batch sent (see runtime.outbox)."""
        resent = await self.outbox.delivered()
        if resent:
            self.metrics.inc("resent", resent)

    async def reject(
        self, event: Any, reason: str, errors: list[SchemaError], record: object = None
    ) -> None:
        """Dead-letter a record this stage cannot process, with its original bytes; with the
        decoded ``record``, its event id too (when it is an opaque id), so an integrator's
        ``eddy tail --event-id`` finds what became of the event at any stage."""
        await self.send_dead_letter(
            dead_letter(
                stage=self.role,
                reason=reason,
                errors=errors,
                source=self.position(event),
                original=event.value,
                key=event.key,
                event_id=opaque_event_id(record),
            ),
            event.value,
        )

    async def decode(self, event: Any, schema: str) -> dict[str, Any] | None:
        """The record an internal-topic event carries, or None after dead-lettering it
        (``invalid_json`` or ``schema_violation``, with the JSON-path errors)."""
        try:
            rec = loads(event.value)
        except DecodeError as exc:
            await self.reject(event, "invalid_json", [SchemaError("$", str(exc))])
            return None
        errors = validate(schema, rec)
        if errors:
            await self.reject(event, "schema_violation", errors, rec)
            return None
        return rec

    async def decode_batch(self, events: Any, schema: str) -> list[tuple[Any, dict[str, Any]]]:
        """(event, record) for the valid events of a batch; the others are dead-lettered."""
        out = []
        for ev in events:
            rec = await self.decode(ev, schema)
            if rec is not None:
                out.append((ev, rec))
        return out

    def heartbeat_key(self) -> str:
        return heartbeat_key(
            self.settings.redis.prefix, self.role, socket.gethostname(), os.getpid()
        )

    def heartbeat_value(self) -> str:
        return json.dumps(
            {
                "role": self.role,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "at": time.time(),
                "counts": self.metrics.snapshot(),
                **self.details,
                **({} if self.model_version is None else {"model_version": self.model_version}),
            }
        )
