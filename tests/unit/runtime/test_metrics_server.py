"""One /metrics port per process from EDDY_METRICS_PORT; a taken port costs that process its
metrics, never its work."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest
from prometheus_client import Counter

from services.core.settings import MetricsSettings
from services.runtime.metrics import process_registry
from services.runtime.metrics_server import serve_metrics
from tests.helpers import free_port_run


def test_each_process_has_its_own_port_from_the_base() -> None:
    m = MetricsSettings(port=20000)
    ports = {
        p: m.port_for(p)
        for p in ("normalize", "classify", "route", "annotate", "trainer", "gateway",
                  "webhook", "ml-backend", "console")
    }  # fmt: skip
    assert list(ports.values()) == list(range(20000, 20009))
    assert m.url_for("classify") == "http://127.0.0.1:20001/metrics"
    with pytest.raises(ValueError, match="classifier"):
        m.port_for("classifier")


def test_metrics_are_on_by_default_and_0_turns_them_off() -> None:
    assert MetricsSettings().port_for("normalize") == 18010
    off = MetricsSettings(port=0)
    assert off.port_for("gateway") is None and off.url_for("gateway") is None
    assert serve_metrics(process_registry(), "gateway", off) is None


def test_a_wildcard_host_is_printed_as_loopback() -> None:
    m = MetricsSettings(host="0.0.0.0", allow_remote=True, port=20000)
    assert m.url_for("trainer") == "http://127.0.0.1:20004/metrics"


def test_a_taken_port_warns_once_naming_the_setting_and_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    base = free_port_run(2)
    with socket.socket() as holder:  # another classify replica on this host
        holder.bind(("127.0.0.1", base + 1))
        holder.listen()
        with caplog.at_level(logging.WARNING, logger="eddy.metrics"):
            url = serve_metrics(process_registry(), "classify", MetricsSettings(port=base))
    assert url is None
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert f"EDDY_METRICS_PORT={base} + 1 for classify" in warning.getMessage()


def test_a_free_port_serves_the_registry() -> None:
    base = free_port_run(1)
    registry = process_registry()
    Counter("eddy_test_things", "Things", registry=registry).inc()
    url = serve_metrics(registry, "normalize", MetricsSettings(port=base))
    assert url == f"http://127.0.0.1:{base}/metrics"
    body = httpx.get(url, timeout=5).text
    assert 'eddy_build_info{version="' in body and "process_cpu_seconds_total" in body
    # Only the counter itself: a `_created` gauge beside each one doubled the series.
    assert "eddy_test_things_total 1.0" in body and "_created" not in body


def test_eddy_up_refuses_a_taken_metrics_port_before_starting_anything() -> None:
    from services.core.settings import Settings
    from services.stack.probes import PortInUse
    from services.stack.up import Stack
    from tests.helpers import free_port

    base = free_port_run(9)
    s = Settings().override(
        stack={"with_label_studio": False},
        gateway={"port": free_port(), "token": "a-strong-gateway-token-0123456789"},
        console={"port": free_port(), "token": "a-strong-console-token-0123456789"},
        metrics={"port": base},
    )
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", base + 2))
        holder.listen()
        with pytest.raises(PortInUse, match=rf"port {base + 2} .*route metrics.*EDDY_METRICS_PORT"):
            Stack(s, external=True, say=lambda _m: None).preflight()
        # Several taken, under two settings: every one named at once, by the setting to change.
        with socket.socket() as other, socket.socket() as gateway:
            other.bind(("127.0.0.1", base))
            other.listen()
            gateway.bind(("127.0.0.1", s.gateway.port))
            gateway.listen()
            with pytest.raises(PortInUse) as caught:
                Stack(s, external=True, say=lambda _m: None).preflight()
    message = str(caught.value)
    assert message.startswith("3 ports are already in use"), message
    assert f"{s.gateway.port} (gateway): set EDDY_GATEWAY_PORT" in message
    assert (
        f"{base}, {base + 2} (normalize metrics, route metrics): set EDDY_METRICS_PORT" in message
    )


def test_eddy_up_refuses_one_port_set_for_two_servers() -> None:
    from services.core.settings import Settings
    from services.stack.probes import PortInUse
    from services.stack.up import Stack
    from tests.helpers import free_port

    port = free_port()
    s = Settings().override(
        stack={"with_label_studio": False},
        gateway={"port": port, "token": "a-strong-gateway-token-0123456789"},
        console={"port": port, "token": "a-strong-console-token-0123456789"},
        metrics={"port": free_port_run(9)},
    )
    with pytest.raises(PortInUse, match=rf"port {port} is set for both gateway .* ops console"):
        Stack(s, external=True, say=lambda _m: None).preflight()
