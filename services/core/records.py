"""Record helpers shared by every stage: JSON bytes in/out, timestamps, dead letters."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


def dead_letter(
    *,
    stage: str,
    reason: str,
    errors: Sequence[SchemaError],
    source: SourcePosition,
    original: bytes | None,
    key: bytes | None,
    failed_at: str | None = None,
) -> dict[str, Any]:
    return {
        "stage": stage,
        "reason": reason,
        "errors": [e.as_dict() for e in errors],
        "source": {"topic": source.topic, "partition": source.partition, "offset": source.offset},
        "key_b64": base64.b64encode(key).decode() if key is not None else None,
        "original_b64": base64.b64encode(original or b"").decode(),
        "failed_at": failed_at or utc_now_iso(),
    }
