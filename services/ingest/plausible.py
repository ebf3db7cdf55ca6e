"""Checks a schema cannot express, shared by normalize (a dead letter) and by the gateway and
the producer API (a 422 / InvalidEvent at once, so an integrator learns at the door rather
than from the dead-letter topic). Pure logic."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.redact import id_kinds
from services.core.schemas import SchemaError
from services.ingest.channels.base import ChannelAdapter

# Events from before this many days ago or this far in the future are refused: a year 9999 or
# 1970 timestamp is a producer bug, and it would corrupt lag figures and time windows.
MAX_AGE_DAYS = 3650
MAX_AHEAD = timedelta(days=1)


def rfc3339(at: str) -> str:
    """``at`` with "T" between date and time. The contracts take "2026-12-07 10:00:00Z" too
    (RFC 3339 allows a space, for readability); the records Eddy writes use the form JSON
    Schema's date-time format and every strict validator reads."""
    return f"{at[:10]}T{at[11:]}" if len(at) > 10 and at[10] in " t" else at


def implausible(occurred_at: str, now: str | None) -> str | None:
    at = datetime.fromisoformat(occurred_at)
    ref = datetime.fromisoformat(now) if now else datetime.now(UTC)
    if at > ref + MAX_AHEAD:
        return f"more than {MAX_AHEAD.days} day ahead of the receiving clock"
    if at < ref - timedelta(days=MAX_AGE_DAYS):
        return f"more than {MAX_AGE_DAYS} days in the past"
    return None


def semantic_errors(
    adapter: ChannelAdapter, event: Mapping[str, Any], now: str | None = None
) -> tuple[str, list[SchemaError]] | None:
    """(dead-letter reason, errors) for a schema-valid event that is still refused, or None.

    An id that is an e-mail or an IP address, or holds a dashed US social security number or
    an IBAN (check digits holding), is personal data in every topic, log line and Redis key
    it reaches. Digit runs stay allowed, even Luhn-valid ones: one numeric id in ten passes
    the card checksum (a demo run id built from a timestamp did), and numeric ids are common.
    Paths name the channel's own fields; messages never echo the value."""
    errors = []
    when = implausible(str(event[adapter.time_field]), now)
    if when:
        errors.append(SchemaError(f"$.{adapter.time_field}", when))
    for name in adapter.id_fields:
        value = event.get(name)
        kinds = sorted(id_kinds(str(value))) if value else []
        if kinds:
            errors.append(SchemaError(f"$.{name}", f"holds {', '.join(kinds)}: use an opaque id"))
    if not errors:
        return None
    # Every error at once (a client fixes them in one go); the reason names the first kind.
    return ("implausible_timestamp" if when else "pii_in_id"), errors
