"""Turn labelled texts into realistic chat / CRM / ads events. Pure logic."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.settings import CHANNELS

_PLATFORMS = ("facebook", "instagram", "x", "linkedin", "tiktok")
_STATUSES = ("new", "open", "pending")
_PRIORITIES = ("low", "normal", "high", "urgent")


def make_event(
    channel: str,
    n: int,
    text: str,
    rng: random.Random,
    run: str = "sim",
    at: datetime | None = None,
) -> dict[str, Any]:
    """Event number ``n`` of ``channel`` carrying ``text``; ids are unique per (run, n)."""
    ts = (
        (at or datetime(2026, 11, 1, tzinfo=UTC) + timedelta(seconds=n))
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )
    eid = f"{run}-{channel}-{n}"
    customer = f"cust-{rng.randrange(1, 400)}"
    if channel == "chat":
        return {
            "event_id": eid,
            "conversation_id": f"conv-{rng.randrange(1, 300)}",
            "customer_id": customer,
            "author_role": "customer",
            "text": text,
            "sent_at": ts,
            "locale": "en-US",
            "source": "web",
        }
    if channel == "crm":
        return {
            "event_id": eid,
            "case_id": f"case-{n}",
            "account_id": f"acct-{rng.randrange(1, 200)}",
            "contact_id": customer,
            "subject": "Customer feedback",
            "body": text,
            "status": rng.choice(_STATUSES),
            "priority": rng.choice(_PRIORITIES),
            "origin": "social",
            "created_at": ts,
            "locale": "en-US",
        }
    if channel == "ads":
        return {
            "event_id": eid,
            "platform": rng.choice(_PLATFORMS),
            "kind": "comment",
            "campaign_id": f"camp-{rng.randrange(1, 10)}",
            "ad_id": f"ad-{rng.randrange(1, 40)}",
            "author_id": customer,
            "text": text,
            "created_at": ts,
            "locale": "en-US",
        }
    raise ValueError(f"unknown channel {channel!r}")


def spread(
    texts: Sequence[str], seed: int = 0, run: str = "sim"
) -> list[tuple[str, dict[str, Any]]]:
    """(channel, event) for each text, channels taking turns."""
    rng = random.Random(seed)
    return [
        (CHANNELS[i % len(CHANNELS)], make_event(CHANNELS[i % len(CHANNELS)], i, t, rng, run))
        for i, t in enumerate(texts)
    ]


def malform(channel: str, event: dict[str, Any], kind: int) -> bytes:
    """Deliberately broken versions of an event, for dead-letter tests and demos."""
    import json

    bad = dict(event)
    tag = str(event.get("event_id", "")).encode()  # keeps every broken payload distinct
    variants = [
        lambda: b"{not json at all " + tag,
        lambda: json.dumps({k: v for k, v in bad.items() if k != "event_id"}).encode(),
        lambda: json.dumps({**bad, "text" if "text" in bad else "body": 42}).encode(),
        lambda: json.dumps(
            {
                **bad,
                (
                    "author_role"
                    if channel == "chat"
                    else "status"
                    if channel == "crm"
                    else "platform"
                ): "martian",
            }
        ).encode(),
        lambda: json.dumps(
            {**bad, ("sent_at" if channel == "chat" else "created_at"): "yesterday"}
        ).encode(),
        lambda: b"\xff\xfe\x00garbage " + tag,
        lambda: json.dumps([bad]).encode(),
    ]
    return variants[kind % len(variants)]()
