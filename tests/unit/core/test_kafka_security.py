"""Kafka's TLS and SASL settings reach every client (tests/integration/test_kafka_tls.py runs
TLS against the real broker; the local broker's SASL does not work, so SASL is shown here)."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import pytest
from faust.auth import SASLCredentials, SSLCredentials
from typer.testing import CliRunner

from services.cli import app
from services.core.settings import Settings, load_settings
from services.runtime.credentials import faust_credentials

SERVICES = Path(__file__).resolve().parents[3] / "services"


def _kafka(**fields: object) -> Settings:
    return Settings().override(kafka={"bootstrap": "a:9093,b:9093", **fields})


def test_plaintext_is_only_the_brokers() -> None:
    s = _kafka()
    assert s.kafka.client_config() == {"bootstrap_servers": ["a:9093", "b:9093"]}
    assert faust_credentials(s.kafka) is None


def test_sasl_ssl_gives_kafka_python_the_protocol_ca_and_login(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not read here")
    kafka = _kafka(
        security_protocol="SASL_SSL",
        ssl_cafile=ca,
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="eddy",
        sasl_password="s3cret-s3cret-s3cret",
    ).kafka
    assert kafka.client_config() == {
        "bootstrap_servers": ["a:9093", "b:9093"],
        "security_protocol": "SASL_SSL",
        "ssl_check_hostname": True,
        "ssl_cafile": str(ca),
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "eddy",
        "sasl_plain_password": "s3cret-s3cret-s3cret",
    }
    assert "s3cret" not in repr(kafka), "the password is a secret in the settings' repr"


def test_faust_gets_sasl_with_tls_and_plain_sasl_without() -> None:
    login = {"sasl_username": "eddy", "sasl_password": "s3cret-s3cret-s3cret"}
    creds = _kafka(security_protocol="SASL_SSL", sasl_mechanism="PLAIN", **login).kafka
    sasl = faust_credentials(creds)
    assert isinstance(sasl, SASLCredentials)
    assert (sasl.username, sasl.password, sasl.mechanism.value) == (
        "eddy",
        "s3cret-s3cret-s3cret",
        "PLAIN",
    )
    assert isinstance(sasl.ssl_context, ssl.SSLContext)
    assert sasl.ssl_context.verify_mode == ssl.CERT_REQUIRED and sasl.ssl_context.check_hostname
    plain = faust_credentials(_kafka(security_protocol="SASL_PLAINTEXT", **login).kafka)
    assert isinstance(plain, SASLCredentials) and plain.ssl_context is None
    assert isinstance(faust_credentials(_kafka(security_protocol="SSL").kafka), SSLCredentials)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"EDDY_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "EDDY_KAFKA_SASL_USERNAME"),
        ({"EDDY_KAFKA_SECURITY_PROTOCOL": "TLS"}, "EDDY_KAFKA_SECURITY_PROTOCOL"),
        (
            {"EDDY_KAFKA_SECURITY_PROTOCOL": "SSL", "EDDY_KAFKA_SSL_CAFILE": "/no/such/ca.pem"},
            "EDDY_KAFKA_SSL_CAFILE",
        ),
    ],
)
def test_a_bad_security_setting_is_one_line_naming_it(env: dict[str, str], named: str) -> None:
    res = CliRunner().invoke(app, ["versions"], env=env)
    assert res.exit_code != 0
    assert named in res.output, res.output
    assert "Traceback" not in res.output


def test_every_kafka_python_client_takes_client_config() -> None:
    # A client built from the brokers alone would ignore TLS and SASL.
    offenders = [
        f"{path.relative_to(SERVICES)}:{n}"
        for path in SERVICES.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"bootstrap_servers\s*=|\"bootstrap_servers\":", line)
        and path != SERVICES / "core/settings/kafka.py"
    ]
    assert offenders == []


def test_the_embedded_broker_refuses_a_security_protocol_it_cannot_speak() -> None:
    from services.stack import servers
    from services.stack.process import StackError

    with pytest.raises(StackError, match=r"EDDY_KAFKA_SECURITY_PROTOCOL=SSL.*--external"):
        servers.broker(_kafka(security_protocol="SSL"))


def test_an_empty_ca_file_means_the_systems_and_plaintext_ignores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # README: "empty: the system's CAs"; "" was read as the path "." and refused every command.
    monkeypatch.setenv("EDDY_KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("EDDY_KAFKA_SSL_CAFILE", "")
    kafka = load_settings().kafka
    assert kafka.ssl_cafile is None and "ssl_cafile" not in kafka.client_config()
    monkeypatch.setenv("EDDY_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    monkeypatch.setenv("EDDY_KAFKA_SSL_CAFILE", "/not/used/without/tls.pem")
    assert load_settings().kafka.client_config() == {"bootstrap_servers": ["127.0.0.1:19092"]}
