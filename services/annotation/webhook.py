"""Label Studio webhook receiver: annotation created / updated / deleted -> label store.

Label Studio posts each event once, with a 1 s timeout and no retry, so this is the fast
path only; the reconciliation poll is the source of truth. Requests must carry the shared
secret in ``X-Eddy-Webhook-Secret`` (Label Studio has no signatures): 401 otherwise.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from services.annotation.client import SECRET_HEADER
from services.annotation.tasks import NotOurTask, parse_annotation
from services.annotation.webhook_metrics import WebhookMetrics
from services.core.records import utc_now_iso
from services.core.settings import LabelStudioSettings
from services.core.strictjson import StrictJSONError, strict_loads
from services.labels.sink import LabelSink

log = logging.getLogger("eddy.webhook")
PATH = "/v1/label-studio/webhook"
UPSERT_ACTIONS = {"ANNOTATION_CREATED", "ANNOTATION_UPDATED"}
DELETE_ACTIONS = {"ANNOTATIONS_DELETED"}


TaskCheck = Callable[[dict[str, Any]], bool]


def handle(
    sink: LabelSink,
    payload: dict[str, Any],
    labels: list[str] | None,
    is_ours: TaskCheck = lambda _task: True,
) -> dict[str, Any]:
    """Apply one webhook payload. Pure of HTTP; returns what happened. ``is_ours`` says
    whether a task is one Eddy created: a label for any other (a forged payload for a task
    that does not exist, a task made by hand) is never stored, so never trained on."""
    action = payload.get("action")
    if action in UPSERT_ACTIONS:
        ann, task = payload.get("annotation"), payload.get("task")
        if not isinstance(ann, dict) or not isinstance(task, dict):
            raise ValueError("payload lacks annotation or task object (enable send_payload)")
        if not is_ours(task):
            raise NotOurTask(f"task {task.get('id')} is not a task Eddy created")
        rec = parse_annotation(ann, task, "webhook", labels)
        return {"action": action, "stored": int(sink.put(rec))}
    if action in DELETE_ACTIONS:
        ids = [a.get("id") for a in payload.get("annotations") or [] if isinstance(a, dict)]
        now = utc_now_iso()
        deleted = sum(sink.delete(int(i), now, "webhook") for i in ids if isinstance(i, int))
        return {"action": action, "deleted": deleted}
    return {"action": action, "ignored": True}


def _outcome(result: dict[str, Any]) -> str:
    if "stored" in result:
        return "stored" if result["stored"] else "unchanged"
    return "deleted" if "deleted" in result else "ignored"


def create_webhook_app(
    settings: LabelStudioSettings,
    sink_factory: Callable[[], LabelSink],
    labels: Callable[[], list[str] | None] = lambda: None,
    is_ours: TaskCheck = lambda _task: True,
    metrics: WebhookMetrics | None = None,
) -> FastAPI:
    state: dict[str, LabelSink] = {}
    secret = settings.webhook_secret.get_secret_value().encode()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["sink"] = await run_in_threadpool(sink_factory)
        yield

    # A secret guards the one endpoint: no open /docs or /openapi.json beside it.
    app = FastAPI(
        title="Eddy label webhook",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def count(action: object, outcome: str, result: dict[str, Any] | None = None) -> None:
        if metrics is None:
            return
        metrics.receipt(action, outcome)
        if result:
            metrics.labels.stored(int(result.get("stored", 0)))
            metrics.labels.deleted(int(result.get("deleted", 0)))

    @app.post(PATH)
    async def receive(request: Request) -> JSONResponse:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            count(None, "unauthorized")
            return JSONResponse({"detail": f"missing or wrong {SECRET_HEADER}"}, status_code=401)
        try:
            # Strict: a body nested 100,000 deep raised RecursionError in json.loads (a 500
            # with a traceback in the log); duplicate keys, NaN and the like are refused too.
            payload = strict_loads(await request.body())
        except StrictJSONError as exc:
            count(None, "malformed")
            return JSONResponse({"detail": f"body is not acceptable JSON: {exc}"}, status_code=400)
        if not isinstance(payload, dict):
            count(None, "malformed")
            return JSONResponse({"detail": "body must be a JSON object"}, status_code=400)
        action = payload.get("action")
        try:
            result = await run_in_threadpool(handle, state["sink"], payload, labels(), is_ours)
        except NotOurTask as exc:
            log.warning("ignored a webhook call: %s", exc)
            count(action, "not_ours")
            return JSONResponse({"detail": str(exc), "ignored": True}, status_code=200)
        except (ValueError, KeyError, TypeError) as exc:
            count(action, "malformed")
            return JSONResponse({"detail": f"malformed payload: {exc}"}, status_code=422)
        count(action, _outcome(result), result)
        return JSONResponse(result)

    return app
