"""CRM case notes -> canonical interaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.ingest.channels.base import CanonicalFields, collect_metadata


class CrmAdapter:
    name = "crm"
    schema = "crm"
    time_field = "created_at"
    # Ids that must be opaque (services/ingest/plausible.py refuses PII in them).
    id_fields: tuple[str, ...] = ("event_id", "account_id", "contact_id", "case_id")

    def key(self, event: Mapping[str, Any]) -> str:
        return str(event["account_id"])

    def to_canonical(self, event: Mapping[str, Any]) -> CanonicalFields:
        subject = (event.get("subject") or "").strip()
        body = str(event["body"])
        # The subject often carries the intent ("Refund request"): keep it in the text.
        text = f"{subject}\n{body}" if subject else body
        fixed = {
            "case_id": event["case_id"],
            "status": event["status"],
            "priority": event.get("priority", "normal"),
        }
        meta = collect_metadata(event, fixed, ("origin", "contact_id"))
        return CanonicalFields(
            event_id=str(event["event_id"]),
            key=self.key(event),
            text=text,
            occurred_at=str(event[self.time_field]),
            locale=event.get("locale"),
            customer_id=str(event.get("contact_id") or event["account_id"]),
            conversation_id=str(event["case_id"]),
            metadata=meta,
        )
