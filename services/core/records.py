"""Record helpers shared by every stage: JSON bytes in/out, timestamps, dead letters."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from services.core.redact import id_kinds, redact
from services.core.schemas import SchemaError
from services.core.strictjson import StrictJSONError, strict_loads


@dataclass(frozen=True)
class SourcePosition:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp_ms": self.timestamp_ms,
        }

    def token(self) -> str:
        """Identifies this exact message; used to tell a redelivery from a duplicate. The
        create timestamp is part of it because offsets restart at 0 when a broker's topics
        are recreated (in-memory local broker), which would make a new event look like a
        redelivery of an old one."""
        return f"{self.topic}:{self.partition}:{self.offset}:{self.timestamp_ms}"


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dumps(record: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON. orjson: 0.8 us a prediction record against the standard library's
    10.2 us (measured on the dev machine), the same JSON (only an exponent may be spelt 1e-7
    where the standard library writes 1e-07); the standard
    library takes what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class DecodeError(ValueError):
    """The bytes are not a JSON object."""


def loads(data: bytes | None) -> dict[str, Any]:
    """A JSON object, parsed strictly (see ``strictjson``): anything else is a DecodeError."""
    if data is None:
        raise DecodeError("empty message (no value)")
    try:
        value = strict_loads(data)
    except StrictJSONError as exc:
        raise DecodeError(str(exc)) from None
    if not isinstance(value, dict):
        raise DecodeError(f"expected a JSON object, got {type(value).__name__}")
    return value


EXCERPT_CHARS = 300
MESSAGE_CHARS = 300
MAX_ERRORS = 20


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_ID = re.compile(r"[A-Za-z0-9._:/-]{1,200}")  # the schemas' id pattern


def opaque_event_id(event: object) -> str | None:
    """The event's ``event_id`` when it is a valid id holding no personal data, for a dead
    letter to carry (None otherwise: a dead letter never carries PII)."""
    value = event.get("event_id") if isinstance(event, Mapping) else None
    if isinstance(value, str) and _ID.fullmatch(value) and not id_kinds(value):
        return value
    return None


def dead_letter(
    *,
    stage: str,
    reason: str,
    errors: Sequence[SchemaError],
    source: SourcePosition,
    original: bytes | None,
    key: bytes | None,
    failed_at: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A bounded dead letter: why, where from, and the original's size, SHA-256 and a short
    redacted excerpt. Never the raw bytes: they may hold personal data, and a record over
    the broker's size limit would fail to dead-letter too (and be lost)."""
    raw = original or b""
    # Redact a longer stretch than is kept, so an address cut at the boundary is still seen.
    head = raw[: EXCERPT_CHARS * 16]
    text = head.decode("utf-8", errors="replace")[: EXCERPT_CHARS * 4]
    return {
        "stage": stage,
        "reason": reason,
        "errors": [
            {"path": e.path[:MESSAGE_CHARS], "message": e.message[:MESSAGE_CHARS]}
            for e in errors[:MAX_ERRORS]
        ],
        "errors_total": len(errors),
        "source": {"topic": source.topic, "partition": source.partition, "offset": source.offset},
        "key_sha256": _digest(key) if key is not None else None,
        "event_id": event_id,
        "original": {
            "bytes": len(raw),
            "sha256": _digest(raw),
            "excerpt": redact(text).text[:EXCERPT_CHARS],
            "truncated": len(raw) > len(head) or len(text) > EXCERPT_CHARS,
        },
        "failed_at": failed_at or utc_now_iso(),
    }
