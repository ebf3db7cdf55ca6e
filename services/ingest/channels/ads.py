"""Ad comments, replies and lead-form answers -> canonical interaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.ingest.channels.base import CanonicalFields, collect_metadata


class AdsAdapter:
    name = "ads"
    schema = "ads"
    time_field = "created_at"
    # Ids that must be opaque (services/ingest/plausible.py refuses PII in them).
    id_fields: tuple[str, ...] = (
        "event_id",
        "author_id",
        "ad_id",
        "parent_id",
        "campaign_id",
        "form_id",
    )

    def key(self, event: Mapping[str, Any]) -> str:
        # An author's comments stay ordered; anonymous ones are spread by ad.
        return str(event.get("author_id") or event["ad_id"])

    def to_canonical(self, event: Mapping[str, Any]) -> CanonicalFields:
        fixed = {
            "platform": event["platform"],
            "kind": event["kind"],
            "campaign_id": event["campaign_id"],
            "ad_id": event["ad_id"],
        }
        meta = collect_metadata(event, fixed, ("parent_id", "form_id"))
        return CanonicalFields(
            event_id=str(event["event_id"]),
            key=self.key(event),
            text=str(event["text"]),
            occurred_at=str(event[self.time_field]),
            locale=event.get("locale"),
            customer_id=event.get("author_id"),
            conversation_id=event.get("parent_id"),
            metadata=meta,
        )
