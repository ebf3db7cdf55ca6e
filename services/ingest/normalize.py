"""Normalize: raw channel bytes -> canonical interaction, or a dead letter. Pure logic."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from services.core import pii
from services.core.records import (
    DecodeError,
    SourcePosition,
    dead_letter,
    dumps,
    loads,
    opaque_event_id,
    utc_now_iso,
)
from services.core.redact import Redacted, redact
from services.core.schemas import SchemaError, validate
from services.ingest.channels import ADAPTERS
from services.ingest.plausible import rfc3339, semantic_errors


@dataclass(frozen=True)
class Normalized:
    interaction: dict[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.interaction["event_id"])

    @property
    def key(self) -> str:
        return str(self.interaction["key"])

    def digest(self) -> str:
        """What the event says, not how it travelled (no receive time or source position):
        a retry's copy has the same, another event reusing the id has another."""
        said = {k: v for k, v in self.interaction.items() if k not in ("received_at", "source")}
        canonical = json.dumps(said, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Rejected:
    dead_letter: dict[str, Any]


# Metadata keys are field names (``^[A-Za-z0-9_.-]+$``, at most 64 characters) that repeat
# from event to event: their redaction is remembered, not redone for every event.
_redact_key = lru_cache(maxsize=1024)(redact)


def _redacted(text: str, raw: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, int]]:
    """The text and metadata redacted, and how many of each kind. Free-form metadata can
    carry PII too: string values, numbers (a phone number sent as an integer) and keys are
    redacted as the text is; a field that names a person ("customer_name") is replaced whole.
    A name the text gave away with a cue, or such a field, is redacted wherever else the
    event mentions it (keys aside: they are field names, not prose)."""
    red = redact(text)
    counts = dict(red.counts)

    def counted(kind: str, n: int = 1) -> None:
        counts[kind] = counts.get(kind, 0) + n

    def person(k: str, v: object) -> bool:
        return isinstance(v, str) and bool(v.strip()) and bool(pii.NAME_KEY.match(k))

    named = pii.name_words([*red.names, *(str(v) for k, v in raw.items() if person(k, v))])

    def scrub(value: str, known: Callable[[str], Redacted] = redact, forget: bool = True) -> str:
        r = known(value)
        for kind, n in r.counts.items():
            counted(kind, n)
        return pii.forget(r.text, named, counted) if forget else r.text

    metadata: dict[str, Any] = {}
    for k, v in raw.items():
        if person(k, v):
            counted("name")
            v = "[NAME]"
        elif isinstance(v, str):
            v = scrub(v)
        elif isinstance(v, int | float) and not isinstance(v, bool):
            as_text = scrub(str(v))
            v = v if as_text == str(v) else as_text
        metadata[scrub(k, _redact_key, forget=False)] = v
    return pii.forget(red.text, named, counted), metadata, counts


def normalize(
    channel: str | None,
    value: bytes | None,
    key: bytes | None,
    source: SourcePosition,
    now: str | None = None,
) -> Normalized | Rejected:
    """Validate and map one raw channel event. Never raises on bad input."""

    event: Any = None

    def reject(reason: str, errors: list[SchemaError]) -> Rejected:
        return Rejected(
            dead_letter(
                stage="normalize",
                reason=reason,
                errors=errors,
                source=source,
                original=value,
                key=key,
                event_id=opaque_event_id(event),
            )
        )

    if channel is None or channel not in ADAPTERS:
        return reject(
            "unknown_channel",
            [SchemaError("$", f"topic {source.topic} is not a known channel topic")],
        )
    adapter = ADAPTERS[channel]
    try:
        event = loads(value)
    except DecodeError as exc:
        return reject("invalid_json", [SchemaError("$", str(exc))])
    errors = validate(adapter.schema, event)
    if errors:
        return reject("schema_violation", errors)
    refused = semantic_errors(adapter, event, now)
    if refused:
        return reject(*refused)
    fields = adapter.to_canonical(event)
    text, metadata, counts = _redacted(fields.text, fields.metadata)
    if not text.strip():
        return reject("empty_text", [SchemaError("$.text", "is blank")])
    interaction: dict[str, Any] = {
        "event_id": fields.event_id,
        "channel": channel,
        "key": fields.key,
        "text": text,
        "occurred_at": rfc3339(fields.occurred_at),
        "received_at": now or utc_now_iso(),
        "locale": fields.locale,
        "customer_id": fields.customer_id,
        "conversation_id": fields.conversation_id,
        "metadata": metadata,
        "redactions": counts,
        "source": source.as_dict(),
    }
    return Normalized(interaction)


def normalize_bounded(
    channel: str | None,
    value: bytes | None,
    key: bytes | None,
    source: SourcePosition,
    limit: int,
    now: str | None = None,
) -> tuple[Normalized | Rejected, bytes]:
    """``normalize`` plus the interaction's bytes, whatever the record does: a poison record
    that raised used to restart the agent past its offset, lost without a trace; one whose
    interaction is over ``limit`` bytes would fail to send. Both become dead letters."""

    def reject(reason: str, message: str) -> tuple[Rejected, bytes]:
        dl = dead_letter(
            stage="normalize",
            reason=reason,
            errors=[SchemaError("$", message)],
            source=source,
            original=value,
            key=key,
        )
        return Rejected(dl), b""

    try:
        result = normalize(channel, value, key, source, now)
        if isinstance(result, Rejected):
            return result, b""
        out = dumps(result.interaction)
    except Exception as exc:
        return reject("normalize_failed", f"{type(exc).__name__} while normalising")
    if len(out) > limit:
        return reject("too_large", f"interaction of {len(out)} bytes > {limit} bytes")
    return result, out
