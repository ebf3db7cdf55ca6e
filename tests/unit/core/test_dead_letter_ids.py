"""A dead letter names its event by id only when the id is opaque (never personal data)."""

from __future__ import annotations

from services.core.records import opaque_event_id


def test_a_dead_letter_carries_only_an_opaque_event_id() -> None:
    assert opaque_event_id({"event_id": "evt-42"}) == "evt-42"
    # Personal data sent as an id, an id the schema refuses, or no record at all: none.
    assert opaque_event_id({"event_id": "jane@example.com"}) is None
    assert opaque_event_id({"event_id": "has spaces"}) is None
    assert opaque_event_id({"event_id": 42}) is None
    assert opaque_event_id(None) is None
    assert opaque_event_id(b'{"event_id": "evt-42"}') is None
