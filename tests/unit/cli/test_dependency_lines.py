"""A dependency that is down or refuses Eddy: one line naming the setting to change."""

from __future__ import annotations

import socket

import redis
from typer.testing import CliRunner

from services.cli import app
from services.cli.errors import dependency_message
from services.core.kafka import BrokerUnavailable
from services.core.settings import load_settings


def test_a_redis_refusal_names_the_password_setting() -> None:
    exc = redis.exceptions.AuthenticationError("invalid username-password pair")
    line = dependency_message(exc, load_settings())
    assert line is not None and "check EDDY_REDIS_PASSWORD" in line


def test_topics_without_a_broker_fails_at_once_naming_the_setting() -> None:
    # It retried for 30 s, logging each failure, and named no setting; the one-shot check
    # (its message, not the retry loop's "not reachable within 30s") answers at once.
    res = CliRunner().invoke(app, ["topics"], env={"EDDY_KAFKA_BOOTSTRAP": "127.0.0.1:9"})
    assert isinstance(res.exception, BrokerUnavailable)
    message = str(res.exception)
    assert message.startswith("no Kafka broker reachable at 127.0.0.1:9")
    assert "See EDDY_KAFKA_BOOTSTRAP" in message


def test_the_gateway_without_a_broker_fails_at_once_naming_the_setting() -> None:
    # It printed uvicorn's 36-line start-up traceback first.
    # On a free port: the default one may be taken by a stack running on this machine.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    env = {"EDDY_KAFKA_BOOTSTRAP": "127.0.0.1:9", "EDDY_GATEWAY_PORT": port}
    res = CliRunner().invoke(app, ["gateway"], env=env)
    assert isinstance(res.exception, BrokerUnavailable)
    assert "See EDDY_KAFKA_BOOTSTRAP" in str(res.exception)


def test_an_acl_refusal_is_not_blamed_on_the_password() -> None:
    exc = redis.exceptions.AuthorizationError("NOPERM this user has no permissions")
    line = dependency_message(exc, load_settings())
    assert line is not None and "PASSWORD" not in line and "EDDY_REDIS_URL" in line


def test_a_broker_that_accepts_but_does_not_answer_gets_one_line() -> None:
    # A hung broker (SIGSTOP) passes the TCP check; kafka-python then times out bootstrapping.
    from kafka.errors import KafkaTimeoutError

    exc = KafkaTimeoutError("Unable to bootstrap from ['127.0.0.1:19092']")
    line = dependency_message(exc, load_settings())
    assert line is not None and "did not answer in time" in line and "EDDY_KAFKA_BOOTSTRAP" in line
    assert "Unable to bootstrap" in line  # kafka-python's own words: a missing topic reads so too
