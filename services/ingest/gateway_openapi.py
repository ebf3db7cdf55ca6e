"""What /openapi.json says of the ingest route: the channel's own contract as the body and
the answers as the gateway writes them. FastAPI alone described a free-form body and its own
422 shape (``detail: [{loc, msg}]``), so a generated client parsed every error wrongly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.core.schemas import validator
from services.core.settings import CHANNELS, GatewaySettings

ACCEPTED = {
    "type": "object",
    "required": ["accepted", "event_ids"],
    "properties": {
        "accepted": {"type": "integer", "description": "Events the broker acknowledged."},
        "event_ids": {"type": "array", "items": {"type": "string"}},
    },
}
ERROR = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "What is wrong, in one line."},
        "errors": {
            "type": "array",
            "description": "422 only: each problem, by the event's index in the body and "
            "its JSON path (never the value).",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "path": {"type": "string", "examples": ["$.sent_at"]},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
_WHY = {
    "400": "The body is not strict JSON (NaN, duplicate keys, a lone surrogate, too deep).",
    "401": "Missing or wrong bearer token (EDDY_GATEWAY_TOKEN).",
    "404": "Unknown channel.",
    "413": "The body, the batch or one event is over its limit; nothing was accepted.",
    "415": "The Content-Type is not JSON.",
    "422": "An event breaks its channel's contract, or a batch repeats an event_id; nothing "
    "was accepted.",
    "503": "The event broker is unavailable; retry later.",
}


PATH = "/v1/channels/{channel}/events"


def described(app: FastAPI, settings: GatewaySettings) -> Callable[[], dict[str, Any]]:
    """``app.openapi``: FastAPI's description with the ingest operation replaced whole (its
    ``openapi_extra`` merges lists and dicts into FastAPI's own, which is the problem)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes,
            )  # fmt: skip
            post = spec["paths"][PATH]["post"]
            spec["paths"][PATH]["post"] = {
                "summary": "Send channel events",
                "operationId": post.get("operationId", "ingest"),
                **ingest_operation(settings),
            }
            spec.pop("components", None)  # only FastAPI's validation errors, never answered
            app.openapi_schema = spec
        return app.openapi_schema

    return openapi


def ingest_operation(settings: GatewaySettings) -> dict[str, Any]:
    """POST /v1/channels/{channel}/events, as the gateway answers it."""
    contracts = [_contract(c) for c in CHANNELS]
    event = {"oneOf": contracts}
    body = {"oneOf": [event, {"type": "array", "items": event, "minItems": 1,
                              "maxItems": settings.max_batch}]}  # fmt: skip
    answers: dict[str, Any] = {
        code: {"description": why, "content": {"application/json": {"schema": ERROR}}}
        for code, why in _WHY.items()
    }
    answers["202"] = {
        "description": "Every event was acknowledged by the broker.",
        "content": {"application/json": {"schema": ACCEPTED}},
    }
    return {
        "parameters": [
            {
                "name": "channel",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": list(CHANNELS)},
            }
        ],
        "requestBody": {
            "required": True,
            "description": "One event, or a JSON array of events, of the path's channel "
            "(schemas/chat.v1.json, crm.v1.json, ads.v1.json).",
            "content": {"application/json": {"schema": body}},
        },
        "responses": answers,
    }


def _contract(channel: str) -> dict[str, Any]:
    """The channel's schema, its local references inlined (its own $id resolves the rest)."""
    return {k: v for k, v in validator(channel).schema.items() if k != "$schema"}
