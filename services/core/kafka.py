"""Kafka adapters built on kafka-python: topic creation and a synchronous producer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from services.core.errors import DependencyUnavailable
from services.core.settings import KafkaSettings


class BrokerUnavailable(DependencyUnavailable):
    """No Kafka broker answers at EDDY_KAFKA_BOOTSTRAP."""


def ensure_topics(kafka: KafkaSettings, names: Iterable[str], timeout_s: float = 30.0) -> list[str]:
    """Create missing topics with the configured partition count; returns those created.

    Topics are created up front because auto-created ones get the broker's default partition
    count, which Faust then rejects (PartitionsMismatch)."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(
                **kafka.client_config(),
                client_id="eddy-admin",
                request_timeout_ms=10_000,
            )
        except (KafkaError, OSError) as exc:
            last = exc
            time.sleep(0.5)
            continue
        try:
            existing = set(admin.list_topics())
            missing = [n for n in names if n not in existing]
            created: list[str] = []
            for name in missing:
                try:
                    admin.create_topics(
                        [NewTopic(name, kafka.partitions, kafka.replication_factor)]
                    )
                    created.append(name)
                except TopicAlreadyExistsError:
                    pass  # another process created it between list and create
            return created
        finally:
            admin.close()
    raise BrokerUnavailable(
        f"Kafka at {kafka.bootstrap} not reachable within {timeout_s:.0f}s: {last}; "
        "see EDDY_KAFKA_BOOTSTRAP"
    )


def check_reachable(kafka: KafkaSettings, timeout_s: float = 3.0) -> None:
    """Fail fast with a clear message when no bootstrap server accepts connections
    (kafka-python itself only times out after a minute)."""
    errors = []
    for server in kafka.servers:
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
                return
        except (OSError, ValueError) as exc:
            errors.append(f"{server}: {exc}")
    raise BrokerUnavailable(
        f"no Kafka broker reachable at {kafka.bootstrap} "
        f"({'; '.join(errors)}); is `eddy up` running? "
        "See EDDY_KAFKA_BOOTSTRAP"
    )


def make_producer(kafka: KafkaSettings, **overrides: object) -> KafkaProducer:
    check_reachable(kafka)
    config: dict[str, object] = {
        **kafka.client_config(),
        "client_id": "eddy-producer",
        "acks": "all",
        "linger_ms": 5,
        "batch_size": 256 * 1024,
        "retries": 5,
        "max_in_flight_requests_per_connection": 1,  # keep per-key order across retries
        # Not idempotent: a failed InitProducerId (the local broker's S3 storage down for a
        # moment) left the producer failing every send for good. A retry's rare duplicate is
        # dropped downstream by event id.
        "enable_idempotence": False,
        "max_block_ms": 15_000,
    }
    config.update(overrides)
    try:
        return KafkaProducer(**config)
    except KafkaError as exc:
        raise BrokerUnavailable(f"Kafka at {kafka.bootstrap}: {exc}") from None
