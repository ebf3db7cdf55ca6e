"""Serve one process's Prometheus registry on its own port (EDDY_METRICS_PORT + the process's
offset), never on a public, authenticated port of the process itself."""

from __future__ import annotations

import errno
import logging

from prometheus_client import CollectorRegistry, disable_created_metrics, start_http_server

from services.core.settings import MetricsSettings

log = logging.getLogger("eddy.metrics")


def serve_metrics(
    registry: CollectorRegistry, process: str, settings: MetricsSettings
) -> str | None:
    """Start /metrics for ``process`` in a daemon thread; its URL, or None when metrics are
    off or the port is taken. A taken port is not fatal: a second replica on one host (two
    classify workers) must still work, only without metrics of its own."""
    port = settings.port_for(process)
    url = settings.url_for(process)
    if port is None or url is None:
        return None
    # No `<counter>_created` timestamp series beside each counter and histogram: they doubled
    # the series (each a gauge) and no dashboard or rule reads them.
    disable_created_metrics()
    try:
        start_http_server(port, addr=settings.host, registry=registry)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        log.warning(
            "metrics port %d (EDDY_METRICS_PORT=%d + %d for %s) is in use: this process "
            "serves no /metrics. Another process on this host holds it (a second replica?); "
            "give this one another EDDY_METRICS_PORT base, or 0 to turn metrics off",
            port,
            settings.port,
            port - settings.port,
            process,
        )
        return None
    log.info("metrics on %s", url)
    return url
