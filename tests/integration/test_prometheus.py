"""Each process's /metrics, scraped from the real process after some traffic, is what
`promtool check metrics` accepts without a word: the stream workers on the real broker, and
the gateway, webhook and trainer as `eddy` sub-commands."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer

from services.annotation.client import SECRET_HEADER
from services.core.settings import Settings
from services.core.topics import Topics
from services.demo.simulator import make_event
from services.ingest.producer import EventProducer
from tests.conftest import start_eddy, stop_eddy
from tests.helpers import TopicReader, free_port, free_port_run, wait

pytestmark = pytest.mark.integration


def scrape(url: str, until: Callable[[str], bool] = lambda _: True) -> str:
    def body() -> str | None:
        try:
            text = httpx.get(url, timeout=5).text
        except httpx.HTTPError:
            return None  # not listening yet
        return text if until(text) else None

    return wait(f"{url} to serve what the test waits for", body, 60)


def assert_promtool_clean(text: str) -> None:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: scripts/setup installs Debian's prometheus package")
    run = subprocess.run(
        ["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=30
    )
    assert (run.returncode, run.stdout + run.stderr) == (0, b"")


def value(text: str, sample: str) -> float:
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_stream_workers_after_real_records(settings: Settings, workers: dict[str, Any]) -> None:
    run = f"p{uuid.uuid4().hex[:6]}"
    rng = random.Random(1)
    channels = ["chat", "crm", "ads"] * 3
    with EventProducer(settings.kafka) as producer:
        for i, ch in enumerate(channels):
            producer.send(ch, make_event(ch, i, f"my bag was lost {i}", rng, run))
    raw = KafkaProducer(bootstrap_servers=settings.kafka.servers)
    try:  # and one malformed event: a dead letter
        topic = Topics.from_settings(settings.kafka).channel("chat")
        raw.send(topic, b'{"event_id": "' + run.encode() + b'-bad"}').get(timeout=30)
    finally:
        raw.close()
    reader = TopicReader(settings.kafka, Topics.from_settings(settings.kafka).predictions)
    try:
        reader.wait_for(lambda rs: sum(r["event_id"].startswith(run) for r in rs) >= 9, 90)
    finally:
        reader.close()
    m = settings.metrics
    classify = scrape(
        str(m.url_for("classify")),
        lambda t: value(t, 'eddy_prediction_latency_seconds_count{channel="ads"}') >= 3,
    )
    assert re.search(r'^eddy_model_info\{version="\d+"\} 1\.0$', classify, re.M)
    assert value(classify, 'eddy_prediction_confidence_ratio_count{channel="crm"}') >= 3
    assert "eddy_route_decisions_total" not in classify
    route = scrape(str(m.url_for("route")), lambda t: "eddy_route_decisions_total{" in t)
    normalize = scrape(
        str(m.url_for("normalize")),
        lambda t: (
            re.search(r'^eddy_deadletters_total\{reason="\w+",stage="normalize"\}', t, re.M)
            is not None
        ),
    )
    assert "eddy_inference" not in normalize and "eddy_prediction" not in normalize
    for text in (classify, route, normalize):
        assert 'eddy_build_info{version="' in text
        assert_promtool_clean(text)


@pytest.fixture()
def own_ports(settings: Settings) -> Settings:
    """The session's settings, with a gateway port and a metrics base of this test's own."""
    return settings.override(
        metrics={"port": free_port_run(9)},
        gateway={"port": free_port(), "token": None},
        label_studio={"webhook_port": free_port()},
        trainer={"interval_s": 1.0},
    )


@pytest.fixture()
def eddy(own_ports: Settings) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        procs.append(start_eddy(own_ports, f"metrics-{args[0]}-{uuid.uuid4().hex[:4]}", *args))
        return procs[-1]

    yield start
    for p in procs:
        stop_eddy(p)


def test_gateway(own_ports: Settings, broker: str, eddy: Any) -> None:
    eddy("gateway")
    base = f"http://127.0.0.1:{own_ports.gateway.port}"
    wait("the gateway", lambda: _ok(f"{base}/healthz"), 60)
    rng = random.Random(2)
    event = make_event("chat", 0, "where is my refund", rng, f"g{uuid.uuid4().hex[:6]}")
    assert httpx.post(f"{base}/v1/channels/chat/events", json=event).status_code == 202
    assert httpx.post(f"{base}/v1/channels/chat/events", json=[]).status_code == 422
    text = scrape(
        str(own_ports.metrics.url_for("gateway")),
        lambda t: 'eddy_gateway_requests_total{status="422"}' in t,
    )
    assert value(text, 'eddy_gateway_requests_total{status="202"}') == 1
    assert value(text, 'eddy_gateway_accepted_events_total{channel="chat"}') == 1
    assert value(text, 'eddy_gateway_request_duration_seconds_count{status="202"}') == 1
    assert_promtool_clean(text)


def test_webhook(own_ports: Settings, broker: str, redis_server: str, eddy: Any) -> None:
    eddy("webhook")
    ls = own_ports.label_studio
    url = f"http://127.0.0.1:{ls.webhook_port}/v1/label-studio/webhook"
    wait("the webhook", lambda: _ok(f"http://127.0.0.1:{ls.webhook_port}/healthz"), 60)
    ok = {SECRET_HEADER: ls.webhook_secret.get_secret_value()}
    assert httpx.post(url, json={"action": "ANNOTATION_CREATED"}).status_code == 401
    deleted = {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 987654321}]}
    assert httpx.post(url, json=deleted, headers=ok).status_code == 200
    assert httpx.post(url, json={"action": "PROJECT_UPDATED"}, headers=ok).status_code == 200
    text = scrape(
        str(own_ports.metrics.url_for("webhook")),
        lambda t: 'action="other",outcome="ignored"' in t,
    )
    receipts = "eddy_webhook_receipts_total"
    assert value(text, f'{receipts}{{action="none",outcome="unauthorized"}}') == 1
    assert value(text, f'{receipts}{{action="ANNOTATIONS_DELETED",outcome="deleted"}}') == 1
    assert_promtool_clean(text)


def test_trainer(own_ports: Settings, broker: str, redis_server: str, eddy: Any) -> None:
    eddy("trainer", "--no-label-studio")
    text = scrape(
        str(own_ports.metrics.url_for("trainer")),
        lambda t: sum(value(t, f'eddy_trainer_runs_total{{outcome="{o}"}}')
                      for o in ("skipped", "failed", "promoted", "rejected", "busy")) >= 1,
    )  # fmt: skip
    assert value(text, "eddy_trainer_check_interval_seconds") == 1.0
    assert value(text, "eddy_trainer_last_check_timestamp_seconds") > 0
    assert_promtool_clean(text)


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False
