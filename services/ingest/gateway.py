"""HTTP ingest gateway: POST channel events, validated, written to the channel topics."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from kafka.errors import KafkaError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.core.kafka import BrokerUnavailable
from services.core.records import dumps
from services.core.settings import CHANNELS, GatewaySettings, KafkaSettings
from services.core.strictjson import StrictJSONError, strict_loads
from services.ingest.gateway_metrics import GatewayMetrics
from services.ingest.gateway_openapi import described
from services.ingest.producer import EventProducer, check_event

log = logging.getLogger("eddy.gateway")
_PATHS = "send POST /v1/channels/{chat|crm|ads}/events (GET /healthz for health)"


def _error(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


def _too_big(n: int, limit: int, declared: bool = True) -> str:
    # Without a Content-Length the size is unknown: reading stops at the first chunk over.
    size = f"body of {n} bytes" if declared else "body (read to the limit, then refused)"
    return f"{size} exceeds {limit} (EDDY_GATEWAY_MAX_BODY_BYTES)"


def _repeated_ids(events: list[Any]) -> list[dict[str, Any]]:
    """One error per event whose id an earlier event in the batch already has."""
    first: dict[str, int] = {}
    errors = []
    for i, event in enumerate(events):
        key = str(event["event_id"])
        if key in first:
            message = f"same event_id as the event at index {first[key]}"
            errors.append({"index": i, "path": "$.event_id", "message": message})
        first.setdefault(key, i)
    return errors


def create_gateway(
    settings: GatewaySettings,
    kafka: KafkaSettings,
    producer_factory: Callable[[], EventProducer] | None = None,
    metrics: GatewayMetrics | None = None,
) -> FastAPI:
    factory = producer_factory or (lambda: EventProducer(kafka))
    state: dict[str, EventProducer] = {}
    renewing = asyncio.Lock()

    async def renew(failed: EventProducer) -> None:
        """A failed InitProducerId (the broker's storage was down) leaves kafka-python's
        idempotent producer in a fatal state for good: the gateway answered 503 long after the
        broker was back. After a failed write, the next request gets a fresh producer."""
        async with renewing:
            if state.get("producer") is not failed:
                return  # another request renewed it already
            try:
                state["producer"] = await run_in_threadpool(factory)
            except (KafkaError, BrokerUnavailable) as exc:  # still down: try next time
                log.error("could not renew the producer: %s", type(exc).__name__)
                return
        await run_in_threadpool(failed.close)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["producer"] = await run_in_threadpool(factory)
        try:
            yield
        finally:
            await run_in_threadpool(state["producer"].close)

    # The API description is as open as the API: with a token, /docs, /redoc and
    # /openapi.json are not served (they would map the API for anyone who can reach it).
    closed = settings.token is not None
    app = FastAPI(
        title="Eddy ingest gateway",
        version="1",
        lifespan=lifespan,
        docs_url=None if closed else "/docs",
        redoc_url=None if closed else "/redoc",
        openapi_url=None if closed else "/openapi.json",
        description="POST channel events (one object or a JSON array) to "
        "/v1/channels/{chat|crm|ads}/events.",
        # A 307 to the path without the slash is lost on most clients (curl, requests'
        # POST): the slash form is served instead, and other paths answer what exists.
        redirect_slashes=False,
    )
    token = settings.token.get_secret_value() if settings.token else None

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(StarletteHTTPException)
    async def unknown(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code in (404, 405):  # FastAPI's bare "Not Found" names no way forward
            what = "no such path" if exc.status_code == 404 else "method not allowed"
            detail = f"{what}: {request.method} {request.url.path[:200]}; {_PATHS}"
            return _error(exc.status_code, detail, headers=exc.headers)  # a 405's Allow
        return _error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.post("/v1/channels/{channel}/events/", status_code=202, include_in_schema=False)
    @app.post("/v1/channels/{channel}/events", status_code=202)
    async def ingest(channel: str, request: Request) -> JSONResponse:
        started, status = time.perf_counter(), 500  # 500 if accept() raises
        try:
            response = await accept(channel, request)
            status = response.status_code
            if status >= 400:  # which client sends bad data: never the body or its values
                who = request.client.host if request.client else "?"
                where = channel if channel in CHANNELS else "?"
                log.info("refused %d on %s from %s", status, where, who)
            return response
        finally:
            if metrics is not None:
                metrics.request(status, time.perf_counter() - started)

    async def accept(channel: str, request: Request) -> JSONResponse:
        if token is not None:
            # The scheme is case-insensitive (RFC 7235): "bearer <token>" is as good.
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.encode(), token.encode()
            ):
                return _error(
                    401,
                    "missing or wrong bearer token: send Authorization: Bearer <the gateway's "
                    "EDDY_GATEWAY_TOKEN> (`eddy up` writes it to DATA_DIR/secrets.env)",
                )
        if channel not in CHANNELS:
            return _error(404, f"unknown channel {channel!r}; known: {', '.join(CHANNELS)}")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind and kind != "application/json" and not kind.endswith("+json"):
            # curl -d without -H sends a form: say so rather than parse it as JSON anyway.
            return _error(415, f"Content-Type {kind[:80]!r} is not JSON; send application/json")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.max_body_bytes:
            return _error(413, _too_big(int(declared), settings.max_body_bytes))
        raw = bytearray()
        async for chunk in request.stream():  # a lying or absent Content-Length is cut too
            raw += chunk
            if len(raw) > settings.max_body_bytes:
                return _error(413, _too_big(len(raw), settings.max_body_bytes, False))
        if not raw.strip():
            return _error(400, "empty body: send one event, or a JSON array of events")
        try:
            body = strict_loads(bytes(raw))
        except StrictJSONError as exc:
            return _error(400, f"body is not acceptable JSON: {exc}")
        events = body if isinstance(body, list) else [body]
        if not events:
            return _error(422, "empty batch")
        if len(events) > settings.max_batch:
            return _error(
                413,
                f"batch of {len(events)} events exceeds the limit of {settings.max_batch} "
                "(EDDY_GATEWAY_MAX_BATCH)",
            )
        problems: list[dict[str, Any]] = []
        for i, event in enumerate(events):
            for err in check_event(channel, event):
                problems.append({"index": i, **err.as_dict()})
        if problems:
            # All or nothing: a client can fix and resend the batch without double-sending.
            return _error(
                422,
                f"{len({p['index'] for p in problems})} of {len(events)} "
                "events are invalid; nothing was accepted",
                problems[:100],
            )
        repeated = _repeated_ids(events)
        if repeated:
            # Normalize would keep the first and drop the rest as duplicates, silently.
            return _error(
                422,
                f"{len(repeated)} event_id(s) appear more than once in this batch "
                "(each event needs its own id); nothing was accepted",
                repeated[:100],
            )
        sizes = [len(dumps(e)) for e in events]
        big = [i for i, n in enumerate(sizes) if n > settings.max_event_bytes]
        if big:
            return _error(
                413,
                f"{len(big)} event(s) over {settings.max_event_bytes} bytes "
                f"(EDDY_GATEWAY_MAX_EVENT_BYTES), first at index {big[0]}; nothing was accepted",
            )
        producer = state["producer"]

        def send_all() -> None:
            futures = [producer.send(channel, event, checked=True) for event in events]
            producer.flush()
            for f in futures:  # 202 means the broker acknowledged every event
                f.get(timeout=30)

        try:
            await run_in_threadpool(send_all)
        except KafkaError as exc:
            log.error("broker write failed: %s", type(exc).__name__)
            await renew(producer)
            return _error(503, "event broker unavailable; retry later")
        ids = [str(e["event_id"]) for e in events]
        if metrics is not None:
            metrics.accepted(channel, len(ids))
        return JSONResponse({"accepted": len(ids), "event_ids": ids}, status_code=202)

    if not closed:
        app.openapi = described(app, settings)  # type: ignore[method-assign]
    return app
