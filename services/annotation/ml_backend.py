"""Eddy as a Label Studio ML backend: the protocol of label-studio-ml-backend (`/health`,
`/setup`, `/predict`, `/webhook`), answered with the champion, so "Retrieve predictions" and
pre-labelling work for tasks a user imports by hand and Label Studio's Model page shows
Eddy's version. Training never happens inside a request: Eddy's trainer does it on its
schedule, and `/webhook` only acknowledges.

Authentication: HTTP basic (user ``eddy``, password EDDY_ML_BACKEND_PASSWORD), which Label
Studio sends when the backend is connected with ``auth_method: BASIC_AUTH``.
"""

from __future__ import annotations

import base64
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from services.annotation.tasks import choice_result

log = logging.getLogger("eddy.ml_backend")
USER = "eddy"


@dataclass(frozen=True)
class Predicted:
    version: int
    labels: list[str]
    probs: list[list[float]]


# texts -> the champion's probabilities; None while there is no champion
Predict = Callable[[Sequence[str]], Predicted | None]


def _authorised(request: Request, password: str | None) -> bool:
    if not password:
        return True
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, given = base64.b64decode(value).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return user == USER and hmac.compare_digest(given.encode(), password.encode())


def results_for(tasks: list[dict[str, Any]], predict: Predict) -> list[dict[str, Any]]:
    """One Label Studio prediction per task, in order (empty while there is no champion)."""
    texts = [str((t.get("data") or {}).get("text") or "") for t in tasks]
    got = predict(texts) if texts else None
    if got is None:
        return []
    out = []
    for probs in got.probs:
        best = max(range(len(probs)), key=probs.__getitem__)
        out.append(
            {
                "result": [choice_result(got.labels[best])],
                "score": round(float(probs[best]), 6),
                "model_version": f"v{got.version}",
            }
        )
    return out


def create_ml_backend_app(predict: Predict, version: Callable[[], int | None],
                          password: str | None) -> FastAPI:  # fmt: skip
    app = FastAPI(title="Eddy ML backend", docs_url=None, redoc_url=None, openapi_url=None)

    def refused() -> JSONResponse:
        return JSONResponse({"detail": "basic auth as user eddy required"}, status_code=401,
                            headers={"WWW-Authenticate": 'Basic realm="eddy"'})  # fmt: skip

    @app.get("/health")
    @app.get("/")
    async def health() -> dict[str, Any]:  # on the loop, not behind queued predictions
        v = version()
        return {"status": "UP", "model_class": "Eddy", "model_version": f"v{v}" if v else None}

    @app.post("/setup")
    async def setup(request: Request) -> JSONResponse:
        if not _authorised(request, password):
            return refused()
        v = version()
        return JSONResponse({"model_version": f"v{v}" if v else "none"})

    @app.post("/predict")
    async def predict_route(request: Request) -> JSONResponse:
        if not _authorised(request, password):
            return refused()
        try:
            body = await request.json()
            tasks = body.get("tasks") if isinstance(body, dict) else None
            if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
                raise ValueError("tasks must be a list of objects")
        except ValueError as exc:
            return JSONResponse({"detail": f"bad request: {exc}"}, status_code=400)
        # Off the event loop: a forward pass (or a new champion's load) must not hold up
        # /health, which `eddy up` probes to find a hung server.
        results = await run_in_threadpool(results_for, tasks, predict)
        log.info("predicted %d task(s)", len(results))
        return JSONResponse({"results": results, "model_version": f"v{version() or 0}"})

    @app.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        # Label Studio may ask the backend to train; Eddy's trainer does that on its own
        # schedule, gated, so a request never trains.
        if not _authorised(request, password):
            return refused()
        return JSONResponse({"status": "ok", "trained_here": False}, status_code=201)

    return app
