"""Faust's ``broker_credentials`` from the Kafka settings: the workers' side of what
``KafkaSettings.client_config`` gives kafka-python."""

from __future__ import annotations

from faust.auth import SASLCredentials, SSLCredentials
from faust.types.auth import CredentialsT

from services.core.settings import KafkaSettings


def faust_credentials(kafka: KafkaSettings) -> CredentialsT | None:
    """None for PLAINTEXT; TLS verifies the brokers against EDDY_KAFKA_SSL_CAFILE (or the
    system's CAs) and their host names."""
    if kafka.security_protocol == "SSL":
        return SSLCredentials(kafka.ssl_context())
    if kafka.sasl:
        assert kafka.sasl_password is not None  # the settings' validator
        return SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password.get_secret_value(),
            ssl_context=kafka.ssl_context() if kafka.tls else None,
            mechanism=kafka.sasl_mechanism,
        )
    return None
