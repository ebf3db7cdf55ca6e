"""What a channel adapter is: a pure mapping from a validated raw event to canonical fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class CanonicalFields:
    """The channel-specific part of a canonical interaction (before redaction)."""

    event_id: str
    key: str
    text: str
    occurred_at: str
    locale: str | None
    customer_id: str | None
    conversation_id: str | None
    metadata: dict[str, Any]


class ChannelAdapter(Protocol):
    name: str
    schema: str
    time_field: str  # the event's own name for when it happened
    id_fields: tuple[str, ...]  # the ids that must be opaque

    def key(self, event: Mapping[str, Any]) -> str:
        """Partition key, so one customer's events stay ordered."""
        ...

    def to_canonical(self, event: Mapping[str, Any]) -> CanonicalFields: ...


def collect_metadata(
    event: Mapping[str, Any], fixed: dict[str, Any], optional: tuple[str, ...]
) -> dict[str, Any]:
    """Channel fields worth showing an annotator, then the producer's free-form metadata. A
    free-form key that names a channel field does not replace it (it would sidestep the
    schema: metadata.kind "lead_form" on a comment without a form_id); it is kept as
    ``metadata.<key>``."""
    meta = dict(fixed)
    meta.update({k: event[k] for k in optional if k in event})
    for k, v in (event.get("metadata") or {}).items():
        meta[f"metadata.{k}" if k in fixed or k in optional else k] = v
    return meta
