"""Chat messages -> canonical interaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.ingest.channels.base import CanonicalFields, collect_metadata


class ChatAdapter:
    name = "chat"
    schema = "chat"
    time_field = "sent_at"
    # Ids that must be opaque (services/ingest/plausible.py refuses PII in them).
    id_fields: tuple[str, ...] = ("event_id", "conversation_id", "customer_id", "message_id")

    def key(self, event: Mapping[str, Any]) -> str:
        return str(event["conversation_id"])

    def to_canonical(self, event: Mapping[str, Any]) -> CanonicalFields:
        meta = collect_metadata(
            event, {"author_role": event["author_role"]}, ("message_id", "source")
        )
        return CanonicalFields(
            event_id=str(event["event_id"]),
            key=self.key(event),
            text=str(event["text"]),
            occurred_at=str(event[self.time_field]),
            locale=event.get("locale"),
            customer_id=str(event["customer_id"]),
            conversation_id=str(event["conversation_id"]),
            metadata=meta,
        )
