"""The ops console process: the read model sampled on a timer in a thread, its figures on
/metrics, and the web console (FastAPI + uvicorn) on EDDY_CONSOLE_HOST:EDDY_CONSOLE_PORT."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.app.opsfacts import TrainerFacts
from services.core.settings import Settings
from services.ops.collector import ReadModelCollector
from services.ops.console import create_console
from services.ops.readmodel import ReadModel
from services.registry import rollout
from services.registry.open import open_registry
from services.runtime.metrics import process_registry
from services.runtime.metrics_server import serve_metrics

log = logging.getLogger("eddy.console")


class Sampler:
    """Samples the read model every EDDY_CONSOLE_SAMPLE_S in a daemon thread (the reads block:
    Kafka, Redis, files), so a request never waits on them."""

    def __init__(self, model: ReadModel, every_s: float) -> None:
        self.model = model
        self.every_s = every_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._loop, name="ops-sampler", daemon=True)

    def start(self) -> None:
        self.sample()
        self._thread.start()

    def sample(self) -> dict[str, Any]:
        with self._lock:
            snap = self.model.sample()
            # Built here, in the sampling thread: a request never iterates the history
            # while a sample appends to it.
            self._state = {
                **snap,
                "series": list(self.model.series),
                "refresh_s": self.every_s,
            }
            return snap

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.sample()
            except Exception:  # the next tick tries again; the page shows the last sample
                log.exception("sampling the read model failed")

    def state(self) -> dict[str, Any]:
        return self._state

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.model.close()


def build_console(settings: Settings, sampler: Sampler) -> FastAPI:
    token = settings.console.token
    if token is None:
        raise ValueError("the console needs a login token: set EDDY_CONSOLE_TOKEN")

    def act(change: Any) -> dict[str, Any]:
        # The same registry functions, history record and models.v1 event as `eddy promote`
        # and `eddy rollback`.
        events = rollout.ModelEvents(settings.kafka)
        try:
            event: dict[str, Any] = change(open_registry(settings.stack), events.publish)
        finally:
            events.close()
        sampler.sample()  # the page shows the change on its next refresh
        return event

    return create_console(
        token.get_secret_value(),
        sampler.state,
        lambda v, why, seen, by: act(
            lambda reg, pub: rollout.promote(reg, v, why, pub, seen, by=by)
        ),
        lambda why, seen, by: act(lambda reg, pub: rollout.rollback(reg, why, pub, seen, by=by)),
        secure_cookie=False,  # plain HTTP on loopback; behind TLS, a proxy sets Secure
    )


def console_registry(last: Callable[[], dict[str, Any]]) -> CollectorRegistry:
    """The console's own process metrics (eddy_build_info, CPU, memory, as every process's)
    and the read model's gauges from its latest sample."""
    registry = process_registry()
    registry.register(ReadModelCollector(last))
    return registry


def run_console(settings: Settings) -> None:
    c = settings.console
    sampler = Sampler(ReadModel(settings, TrainerFacts(settings)), c.sample_s)
    app = build_console(settings, sampler)
    serve_metrics(console_registry(lambda: sampler.model.last), "console", settings.metrics)
    sampler.start()
    log.info("ops console on http://%s:%d/", c.host, c.port)
    try:
        uvicorn.run(
            app,
            host=c.host,
            port=c.port,
            log_level=settings.stack.log_level.lower(),
            access_log=False,
        )
    finally:
        sampler.stop()
