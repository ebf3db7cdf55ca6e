"""HTTP gateway against the real broker: 202 with ids (and the events land in the topic),
4xx with reasons for bad input, nothing written for a rejected batch."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kafka.errors import KafkaError
from pydantic import SecretStr

from services.core.kafka import BrokerUnavailable
from services.core.settings import Settings
from services.core.topics import Topics
from services.demo.simulator import make_event
from services.ingest.gateway import create_gateway
from services.ingest.producer import EventProducer, InvalidEvent
from tests.helpers import TopicReader

pytestmark = pytest.mark.integration


@pytest.fixture()
def gw_settings(settings: Settings, broker: str) -> Settings:
    return settings.override(gateway={"token": None, "max_batch": 5})


@pytest.fixture()
def client(gw_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_gateway(gw_settings.gateway, gw_settings.kafka)) as c:
        yield c


def _events(run: str, n: int, channel: str = "crm") -> list[dict[str, Any]]:
    rng = random.Random(0)
    return [make_event(channel, i, f"text {i}", rng, run) for i in range(n)]


def test_batch_accepted_and_written(client: TestClient, gw_settings: Settings) -> None:
    run = f"g{uuid.uuid4().hex[:6]}"
    batch = _events(run, 3)
    r = client.post("/v1/channels/crm/events", json=batch)
    assert r.status_code == 202
    assert r.json() == {"accepted": 3, "event_ids": [e["event_id"] for e in batch]}
    one = _events(run + "x", 1, "chat")[0]
    assert client.post("/v1/channels/chat/events", json=one).status_code == 202
    reader = TopicReader(gw_settings.kafka, Topics.from_settings(gw_settings.kafka).channel("crm"))
    try:
        recs = reader.wait_for(
            lambda rs: sum(str(x["event_id"]).startswith(run + "-") for x in rs) >= 3, 30
        )
    finally:
        reader.close()
    assert sorted(x["event_id"] for x in recs if x["event_id"].startswith(run + "-")) == sorted(
        e["event_id"] for e in batch
    )


def test_invalid_batch_is_rejected_whole_with_reasons(
    client: TestClient, gw_settings: Settings
) -> None:
    run = f"b{uuid.uuid4().hex[:6]}"
    batch = _events(run, 3)
    batch[1]["status"] = "martian"
    del batch[2]["body"]
    r = client.post("/v1/channels/crm/events", json=batch)
    assert r.status_code == 422
    body = r.json()
    assert "nothing was accepted" in body["detail"]
    assert {(e["index"], e["path"]) for e in body["errors"]} == {(1, "$.status"), (2, "$.body")}
    # Then a valid batch with the same keys (account ids): each of its events lands in the same
    # partition as the rejected event at its index, after it, had that one been written.
    sentinels = _events(run + "s", 3)
    assert [e["account_id"] for e in sentinels] == [e["account_id"] for e in batch]
    assert client.post("/v1/channels/crm/events", json=sentinels).status_code == 202
    sentinel_ids = {e["event_id"] for e in sentinels}
    reader = TopicReader(gw_settings.kafka, Topics.from_settings(gw_settings.kafka).channel("crm"))
    try:
        recs = reader.wait_for(lambda rs: sentinel_ids <= {x["event_id"] for x in rs}, 30)
    finally:
        reader.close()
    assert sentinel_ids <= {x["event_id"] for x in recs}, "the valid batch after it is written"
    assert not [x for x in recs if str(x["event_id"]).startswith(run + "-")]


def test_what_normalize_would_dead_letter_is_refused_at_the_door(client: TestClient) -> None:
    # A far-future time and an IP address as an id passed the schema: the gateway answered
    # 202 and normalize dead-lettered them later, where an HTTP client never looks.
    batch = _events(f"p{uuid.uuid4().hex[:6]}", 3, "chat")
    batch[0]["sent_at"] = "2099-01-01T00:00:00+00:00"
    batch[2]["customer_id"] = "192.168.10.24"
    r = client.post("/v1/channels/chat/events", json=batch)
    assert r.status_code == 422 and "nothing was accepted" in r.json()["detail"]
    errors = {(e["index"], e["path"]): e["message"] for e in r.json()["errors"]}
    assert set(errors) == {(0, "$.sent_at"), (2, "$.customer_id")}
    assert "ahead of the receiving clock" in errors[0, "$.sent_at"]
    assert "192.168" not in r.text and "opaque id" in errors[2, "$.customer_id"]


def test_client_errors(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="eddy.gateway")
    one = _events(f"t{uuid.uuid4().hex[:6]}", 1)[0]
    form = {"content-type": "application/x-www-form-urlencoded"}  # curl -d without -H
    r = client.post("/v1/channels/crm/events", content=json.dumps(one), headers=form)
    assert r.status_code == 415 and "send application/json" in r.json()["detail"], r.text
    for fine in ({"content-type": "application/json; charset=utf-8"}, {}):
        r = client.post("/v1/channels/crm/events", content=json.dumps(one), headers=fine)
        assert r.status_code == 202, r.text
    r = client.post("/v1/channels/crm/events", content=b"{nope")
    assert r.status_code == 400 and "not acceptable JSON" in r.json()["detail"]
    for empty in (b"", b" \n"):  # the parser's "Expecting value at line 1 column 1" said less
        r = client.post("/v1/channels/crm/events", content=empty)
        assert r.status_code == 400 and r.json()["detail"].startswith("empty body"), r.text
    r = client.post("/v1/channels/fax/events", json={})
    assert r.status_code == 404 and "unknown channel" in r.json()["detail"]
    said = [r.getMessage() for r in caplog.records]
    assert (
        "refused 415 on crm from testclient" in said and "refused 404 on ? from testclient" in said
    )
    assert not any("nope" in m for m in said), "never the body"
    r = client.post("/v1/channels/crm/events", json=[])
    assert r.status_code == 422
    r = client.post("/v1/channels/crm/events", json=_events("big", 6))
    assert r.status_code == 413
    # Chunked, with no Content-Length: refused once the limit is passed, and the message
    # does not pass off the bytes read so far as the body's size.
    chunks = (b" " * 1_000_000 for _ in range(6))
    r = client.post("/v1/channels/crm/events", content=chunks)
    assert r.status_code == 413, r.text
    assert r.json()["detail"] == (
        "body (read to the limit, then refused) exceeds 5000000 (EDDY_GATEWAY_MAX_BODY_BYTES)"
    )
    # Two events with one id: normalize would drop the second as a duplicate, unseen.
    twins = _events(f"d{uuid.uuid4().hex[:6]}", 3)
    twins[2]["event_id"] = twins[0]["event_id"]
    r = client.post("/v1/channels/crm/events", json=twins)
    assert r.status_code == 422 and "nothing was accepted" in r.json()["detail"], r.text
    assert r.json()["errors"] == [
        {"index": 2, "path": "$.event_id", "message": "same event_id as the event at index 0"}
    ]
    assert client.get("/healthz").json() == {"status": "ok"}


def test_bearer_token_required_when_configured(gw_settings: Settings) -> None:
    s = gw_settings.override(gateway={"token": SecretStr("s3cret")})
    with TestClient(create_gateway(s.gateway, s.kafka)) as c:
        ev = _events(f"a{uuid.uuid4().hex[:6]}", 1)[0]
        denied = c.post("/v1/channels/crm/events", json=ev)
        assert denied.status_code == 401 and "EDDY_GATEWAY_TOKEN" in denied.json()["detail"]
        ok = c.post("/v1/channels/crm/events", json=ev, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 202
        for auth, status in (
            ("bearer s3cret", 202),
            ("Bearer  s3cret", 401),
            ("Basic s3cret", 401),
        ):
            got = c.post("/v1/channels/crm/events", json=ev, headers={"Authorization": auth})
            assert got.status_code == status, auth  # the scheme is case-insensitive (RFC 7235)


def test_producer_api_validates(gw_settings: Settings) -> None:
    with EventProducer(gw_settings.kafka) as p, pytest.raises(InvalidEvent, match=r"\$\.text"):
        ev = _events("v", 1, "chat")[0]
        del ev["text"]
        p.send("chat", ev)
    # What the gateway refuses as JSON, the producer API refuses too, before the broker
    # (normalize dead-lettered it with no event id to trace it by).
    for value, why in ((float("nan"), "NaN"), (10**50, "51 digits"), ("x\ud800", "surrogate")):
        ev = _events("j", 1, "chat")[0]
        ev["metadata"] = {"v": value}
        with EventProducer(gw_settings.kafka) as p, pytest.raises(InvalidEvent, match=why):
            p.send("chat", ev)


class _FatalProducer(EventProducer):
    """kafka-python's producer after a failed InitProducerId: every send fails, for good."""

    def send(self, channel: str, event: Any, checked: bool = False) -> Any:
        raise KafkaError("Unexpected error in InitProducerId")


def test_a_producer_in_a_fatal_state_is_replaced(gw_settings: Settings) -> None:
    kafka = gw_settings.kafka
    made: list[EventProducer] = []

    def factory() -> EventProducer:
        p = _FatalProducer(kafka) if not made else EventProducer(kafka)
        made.append(p)
        return p

    run = f"f{uuid.uuid4().hex[:6]}"
    app = create_gateway(gw_settings.gateway, kafka, producer_factory=factory)
    with TestClient(app) as c:
        first = c.post("/v1/channels/crm/events", json=_events(run, 1))
        assert first.status_code == 503 and "retry later" in first.json()["detail"]
        again = c.post("/v1/channels/crm/events", json=_events(run, 1))
        assert again.status_code == 202, "the retry got a fresh producer"
    assert len(made) == 2


def test_a_broker_still_down_at_renewal_is_a_503_not_a_500(gw_settings: Settings) -> None:
    # The broker's storage stalled: the write failed, and so did the fresh producer's check.
    kafka = gw_settings.kafka
    calls: list[int] = []

    def factory() -> EventProducer:
        calls.append(1)
        if len(calls) == 2:
            raise BrokerUnavailable(f"Kafka at {kafka.bootstrap}: KafkaTimeoutError")
        return _FatalProducer(kafka) if len(calls) == 1 else EventProducer(kafka)

    run = f"u{uuid.uuid4().hex[:6]}"
    app = create_gateway(gw_settings.gateway, kafka, producer_factory=factory)
    with TestClient(app, raise_server_exceptions=False) as c:
        for _ in range(2):  # the write fails and the renewal finds the broker still down; then
            # the write fails again (the same producer) and the renewal works
            down = c.post("/v1/channels/crm/events", json=_events(run, 1))
            assert down.status_code == 503, down.text
            assert "retry later" in down.json()["detail"]
        assert c.post("/v1/channels/crm/events", json=_events(run, 1)).status_code == 202
