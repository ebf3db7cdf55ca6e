"""Run one Faust worker for one role (``eddy worker --role ...``)."""

from __future__ import annotations

import logging

import faust

from services.core import pulse
from services.core.heartbeat import TTL_S, heartbeat_index
from services.core.settings import Settings
from services.runtime.context import WorkerContext
from services.runtime.metrics_server import serve_metrics

log = logging.getLogger("eddy.worker")


def build_worker_app(settings: Settings, role: str) -> WorkerContext:
    ctx = WorkerContext.build(settings, role)
    if role == "normalize":
        from services.ingest.agent import register
    elif role == "classify":
        from services.inference.agent import register
    elif role == "route":
        from services.routing.agent import register
    else:
        from services.annotation.agent import register
    register(ctx)

    async def heartbeat() -> None:
        # Liveness + counters for `eddy up` readiness and `eddy status`.
        try:
            key, prefix = ctx.heartbeat_key(), ctx.settings.redis.prefix
            async with ctx.redis().pipeline(transaction=False) as pipe:
                pipe.set(key, ctx.heartbeat_value(), ex=TTL_S)
                pipe.sadd(heartbeat_index(prefix), key)
                await pipe.execute()
        except Exception as exc:  # heartbeat is best effort; the stream must go on
            log.warning("heartbeat failed: %s", type(exc).__name__)

    ctx.app.timer(interval=2.0, name=f"{role}-heartbeat")(heartbeat)

    async def pulse_beat() -> None:
        # `eddy alive`'s, on its own timer: a Redis write that hangs for its 10 s timeout
        # must not hold it back (a liveness probe must not depend on Redis).
        pulse.beat(ctx.settings.stack.data_dir)

    ctx.app.timer(interval=2.0, name=f"{role}-pulse")(pulse_beat)

    async def quiet_libraries() -> None:
        # Faust sets up its own logging when the worker starts, after the entry point's:
        # httpx logs every request URL at INFO (the annotate worker calls Label Studio often).
        logging.getLogger("httpx").setLevel(logging.WARNING)

    ctx.app.task(quiet_libraries)
    return ctx


def run_worker(settings: Settings, role: str) -> None:
    # Faust creates its own state directory, but not the folder above it.
    settings.stack.state_dir.mkdir(parents=True, exist_ok=True)
    ctx = build_worker_app(settings, role)
    serve_metrics(ctx.metrics.registry, role, settings.metrics)
    worker = faust.Worker(ctx.app, loglevel=settings.stack.log_level.lower())
    worker.execute_from_commandline()
