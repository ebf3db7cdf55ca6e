"""What the gateway answers off its one path: the slash form is served (a 307 lost the POST
on most clients), other paths and methods say what exists, in the gateway's error shape."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.core.settings import GatewaySettings, KafkaSettings
from services.ingest.gateway import create_gateway


class _Null:
    def close(self) -> None:
        pass


@pytest.fixture
def http() -> Iterator[TestClient]:
    app = create_gateway(GatewaySettings(token=None), KafkaSettings(), lambda: _Null())  # type: ignore[arg-type,return-value]
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_a_trailing_slash_is_served_not_redirected(http: TestClient) -> None:
    answer = http.post("/v1/channels/chat/events/", json={"event_id": "e1"})
    assert answer.status_code == 422, answer.text  # validated, like the path without it
    assert answer.json()["errors"][0]["index"] == 0
    assert "/v1/channels/{channel}/events/" not in http.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("method", "path", "status", "start"),
    [
        ("POST", "/v1/events", 404, "no such path: POST /v1/events; send POST /v1/channels/"),
        ("GET", "/v1/channels/chat/events", 405, "method not allowed: GET /v1/channels/chat/"),
        ("POST", "/healthz/", 404, "no such path: POST /healthz/;"),
    ],
)
def test_other_paths_say_what_exists(
    http: TestClient, method: str, path: str, status: int, start: str
) -> None:
    answer = http.request(method, path, json={})
    assert answer.status_code == status
    assert set(answer.json()) == {"detail"} and answer.json()["detail"].startswith(start)
    assert "{chat|crm|ads}" in answer.json()["detail"]
    if status == 405:
        assert answer.headers["allow"] == "POST"


def test_an_unknown_channel_keeps_its_own_message(http: TestClient) -> None:
    answer = http.post("/v1/channels/sms/events/", json={})
    assert answer.status_code == 404 and answer.json()["detail"].startswith("unknown channel")
