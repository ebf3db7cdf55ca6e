"""Eddy's Kafka clients over TLS, against the real broker: kafka-python (admin, producer,
consumer: `eddy topics`, the gateway, the console) and Faust's aiokafka (the workers), with
the brokers' certificate checked against EDDY_KAFKA_SSL_CAFILE.

The local broker (Tansu 0.6) has no working TLS listener, so a TLS-terminating proxy stands in
front of it and the broker advertises the proxy's address: every connection a client makes,
bootstrap and partition leaders alike, is TLS. SASL cannot be shown here (Tansu's SCRAM
answers "unknown-user" to a user it has just created); its settings are unit-tested."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kafka import KafkaConsumer

from services.core.kafka import ensure_topics, make_producer
from services.core.settings import Settings
from services.runtime.credentials import faust_credentials
from services.stack import binaries
from services.stack.probes import free_port, tcp_open


def _issue(path: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate for 127.0.0.1 it signed: (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Eddy test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = (path / "ca.pem", path / "cert.pem", path / "key.pem")
    files[0].write_bytes(ca.public_bytes(pem))
    files[1].write_bytes(cert.public_bytes(pem))
    files[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


class _TlsProxy:
    """TLS on ``port``, plain TCP to the broker: a broker's TLS listener, as far as a client
    can tell."""

    def __init__(self, port: int, upstream: int, cert: Path, key: Path) -> None:
        import ssl

        self.port, self.upstream = port, upstream
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def _client(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            w.close()
            return
        await asyncio.gather(self._pipe(r, uw), self._pipe(ur, w))

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port, ssl=self.context)
        )
        self.ready.set()
        self.loop.run_forever()
        server.close()
        for task in asyncio.all_tasks(self.loop):
            task.cancel()
        self.loop.run_until_complete(asyncio.sleep(0))
        self.loop.close()

    def __enter__(self) -> _TlsProxy:
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def tls_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """(the TLS port, the CA that signed its certificate)."""
    path = tmp_path_factory.mktemp("kafka-tls")
    ca, cert, key = _issue(path)
    plain, tls = free_port(), free_port()
    argv = [
        str(binaries.tansu(None)),
        "broker",
        "--listener-url",
        f"tcp://127.0.0.1:{plain}",
        "--advertised-listener-url",  # every client comes back through the proxy
        f"tcp://127.0.0.1:{tls}",
        "--storage-engine",
        "memory://tansu/",
    ]
    with (path / "broker.log").open("wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        with _TlsProxy(tls, plain, cert, key):
            for _ in range(100):
                try:
                    tcp_open("127.0.0.1", plain)  # raises until the broker listens
                    break
                except OSError:
                    threading.Event().wait(0.1)
            yield tls, ca
    finally:
        proc.terminate()
        proc.wait(10)


def _kafka(port: int, **fields: object) -> Settings:
    return Settings().override(kafka={"bootstrap": f"127.0.0.1:{port}", **fields})


def test_kafka_python_clients_over_tls(tls_kafka: tuple[int, Path]) -> None:
    port, ca = tls_kafka
    kafka = _kafka(port, security_protocol="SSL", ssl_cafile=ca).kafka
    topic = f"tls-{uuid.uuid4().hex[:8]}"
    assert ensure_topics(kafka, [topic], timeout_s=20) == [topic]  # the admin client
    producer = make_producer(kafka)
    producer.send(topic, key=b"k", value=b"over tls").get(timeout=20)
    producer.close()
    consumer = KafkaConsumer(
        topic,
        **kafka.client_config(),
        group_id=None,
        auto_offset_reset="earliest",
        consumer_timeout_ms=15_000,
    )
    try:
        assert [m.value for m in consumer][:1] == [b"over tls"]
    finally:
        consumer.close()


def test_a_client_that_does_not_trust_the_brokers_ca_is_refused(
    tls_kafka: tuple[int, Path], tmp_path: Path
) -> None:
    port, _ = tls_kafka
    other_ca, _, _ = _issue(tmp_path)  # a CA that did not sign the broker's certificate
    # In a process of its own, from the environment as a deployment sets it: the refused
    # consumer never closes its sockets (kafka-python), which would fail a later test.
    probe = (
        "import logging; logging.basicConfig(level=logging.WARNING)\n"
        "from kafka import KafkaConsumer\n"
        "from services.core.settings import load_settings\n"
        "KafkaConsumer(**load_settings().kafka.client_config(), bootstrap_timeout_ms=5000)\n"
    )
    env = {
        **os.environ,
        "EDDY_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
        "EDDY_KAFKA_SECURITY_PROTOCOL": "SSL",
        "EDDY_KAFKA_SSL_CAFILE": str(other_ca),
    }
    run = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode != 0
    # Refused for the certificate, not for anything else (a broker not up, a bad option).
    assert "CERTIFICATE_VERIFY_FAILED" in run.stderr, run.stderr[-2000:]


def test_fausts_credentials_carry_tls_to_aiokafka(tls_kafka: tuple[int, Path]) -> None:
    # The workers' Faust app hands broker_credentials to aiokafka this way.
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    port, ca = tls_kafka
    kafka = _kafka(port, security_protocol="SSL", ssl_cafile=ca).kafka
    topic = f"tls-faust-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka, [topic], timeout_s=20)
    auth = credentials_to_aiokafka_auth(faust_credentials(kafka))
    assert auth["security_protocol"] == "SSL"

    async def roundtrip() -> bytes | None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.servers, **auth)
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"faust over tls")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=kafka.servers, auto_offset_reset="earliest", **auth
        )
        await consumer.start()
        try:
            message = await asyncio.wait_for(consumer.getone(), 20)
            value: bytes | None = message.value
            return value
        finally:
            await consumer.stop()

    assert asyncio.run(roundtrip()) == b"faust over tls"
