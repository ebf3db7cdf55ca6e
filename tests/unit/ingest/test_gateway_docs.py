from pydantic import SecretStr

from services.annotation.webhook import create_webhook_app
from services.core.settings import GatewaySettings, KafkaSettings, LabelStudioSettings
from services.ingest.gateway import create_gateway


def test_api_description_is_as_open_as_the_api() -> None:
    open_gw = create_gateway(GatewaySettings(token=None), KafkaSettings())
    assert open_gw.docs_url == "/docs" and open_gw.openapi_url == "/openapi.json"
    closed = create_gateway(GatewaySettings(token=SecretStr("t0ken-0123456789")), KafkaSettings())
    assert closed.docs_url is None and closed.redoc_url is None and closed.openapi_url is None
    hook = create_webhook_app(LabelStudioSettings(webhook_secret="s3cret"), lambda: None)  # type: ignore[arg-type,return-value]
    assert hook.docs_url is None and hook.openapi_url is None


def test_the_description_says_what_the_gateway_takes_and_answers() -> None:
    # FastAPI alone described a free-form body and its own 422 shape: a generated client
    # parsed every error wrongly.
    from typing import Any

    from fastapi.testclient import TestClient
    from jsonschema import Draft202012Validator
    from openapi_spec_validator import validate

    class Null:
        def close(self) -> None:
            pass

    app = create_gateway(GatewaySettings(token=None), KafkaSettings(), lambda: Null())  # type: ignore[arg-type,return-value]
    with TestClient(app) as http:
        spec = http.get("/openapi.json").json()
        answer = http.post("/v1/channels/chat/events", json={"event_id": "e1"})
    validate(spec)
    op = spec["paths"]["/v1/channels/{channel}/events"]["post"]
    assert op["parameters"][0]["schema"]["enum"] == ["chat", "crm", "ads"]
    one = op["requestBody"]["content"]["application/json"]["schema"]["oneOf"][0]
    assert [c["$id"].rsplit("/", 1)[1] for c in one["oneOf"]] == [
        "chat.v1.json", "crm.v1.json", "ads.v1.json"
    ]  # fmt: skip
    assert set(op["responses"]) == {"202", "400", "401", "404", "413", "415", "422", "503"}

    def schema(code: str) -> Any:
        return op["responses"][code]["content"]["application/json"]["schema"]

    assert answer.status_code == 422 and answer.json()["errors"][0]["index"] == 0
    assert not list(Draft202012Validator(schema("422")).iter_errors(answer.json()))
    assert "components" not in spec, "FastAPI's HTTPValidationError: never answered"
