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
