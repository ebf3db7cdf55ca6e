"""Hostile HTTP bodies against the gateway on the real broker: every answer is 202 or a 4xx
with a message (never a 500), and a batch is all or nothing."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.settings import Settings
from services.core.topics import Topics
from services.demo.simulator import make_event
from services.ingest.gateway import create_gateway
from tests.helpers import TopicReader

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
RUN = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def gw(settings: Settings, broker: str) -> Settings:
    return settings.override(
        kafka={"topic_prefix": f"fuzz{RUN}."},
        gateway={"token": None, "max_batch": 20, "max_body_bytes": 50_000,
                 "max_event_bytes": 5_000},
    )  # fmt: skip


@pytest.fixture(scope="module")
def client(gw: Settings) -> Iterator[TestClient]:
    with TestClient(create_gateway(gw.gateway, gw.kafka)) as c:
        yield c


def _valid(n: int, tag: str) -> list[dict[str, Any]]:
    rng = random.Random(n)
    return [make_event("chat", i, f"valid {i}", rng, f"{RUN}-{tag}") for i in range(n)]


bodies = st.one_of(
    st.binary(max_size=3000),
    st.sampled_from(
        [
            b"[" * 5000 + b"]" * 5000,
            b'{"event_id": ' + b"9" * 5000 + b"}",
            b'[{"text": "\\ud800"}]',
            b'{"text": NaN}',
            b'{"text": 1e999}',
            b'{"event_id": "a", "event_id": "b"}',
            b"x" * 60_000,
        ]
    ),
)


@FUZZ
@given(bodies)
def test_any_body_gets_202_or_a_4xx_with_a_message(client: TestClient, body: bytes) -> None:
    r = client.post("/v1/channels/chat/events", content=body)
    assert r.status_code in (202, 400, 413, 422), (r.status_code, r.text[:200])
    if r.status_code != 202:
        assert r.json()["detail"]


@FUZZ
@given(st.integers(0, 4), st.sampled_from(["event_id", "text", "sent_at", "locale", "metadata"]),
       st.one_of(st.text(max_size=30), st.integers(), st.none(), st.just("x" * 6000),
                 st.just("id\n"), st.just("\u200b"), st.just("1970-01-01T00:00:00Z")))  # fmt: skip
def test_a_batch_with_one_bad_event_sends_nothing(
    client: TestClient, gw: Settings, bad_at: int, field: str, value: Any
) -> None:
    events = _valid(5, uuid.uuid4().hex[:6])
    events[bad_at] = {**events[bad_at], field: value}
    r = client.post("/v1/channels/chat/events", content=json.dumps(events).encode())
    assert r.status_code in (202, 400, 413, 422), r.text[:200]
    if r.status_code != 202:
        SENT_BY_REJECTED.update(e["event_id"] for e in events)


SENT_BY_REJECTED: set[str] = set()


def test_nothing_from_a_rejected_batch_reached_the_topic(client: TestClient, gw: Settings) -> None:
    """Runs after the fuzzing above (file order): a sentinel batch, then the topic read."""
    assert SENT_BY_REJECTED, "the fuzzing above produced rejected batches"
    sentinel = _valid(1, "sentinel")
    assert client.post("/v1/channels/chat/events", json=sentinel).status_code == 202
    reader = TopicReader(gw.kafka, Topics.from_settings(gw.kafka).channel("chat"))
    try:
        recs = reader.wait_for(
            lambda rs: any(r["event_id"] == sentinel[0]["event_id"] for r in rs), 60
        )
    finally:
        reader.close()
    leaked = SENT_BY_REJECTED & {r["event_id"] for r in recs}
    assert not leaked, f"{len(leaked)} event(s) of rejected batches were written"
