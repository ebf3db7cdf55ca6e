"""Chat messages -> canonical interaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.ingest.channels.base import CanonicalFields


class ChatAdapter:
    name = "chat"
    schema = "chat"

    def key(self, event: Mapping[str, Any]) -> str:
        return str(event["conversation_id"])

    def to_canonical(self, event: Mapping[str, Any]) -> CanonicalFields:
        meta: dict[str, Any] = {"author_role": event["author_role"]}
        for k in ("message_id", "source"):
            if k in event:
                meta[k] = event[k]
        meta.update(event.get("metadata") or {})
        return CanonicalFields(
            event_id=str(event["event_id"]),
            key=self.key(event),
            text=str(event["text"]),
            occurred_at=str(event["sent_at"]),
            locale=event.get("locale"),
            customer_id=str(event["customer_id"]),
            conversation_id=str(event["conversation_id"]),
            metadata=meta,
        )
