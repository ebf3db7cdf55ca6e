"""Recent unlabelled traffic the model was sure of, for self-training (pseudo-labels).

The route agent pushes the redacted text of each event it did not send to annotators because
the champion was confident (never an audit or routed event) onto one capped Redis list; the
trainer reads the newest texts back when a rebuild adds pseudo-labels
(EDDY_TRAINER_PSEUDO_LABELS). The list keeps POOL_FACTOR times that many texts, so the
trainer can choose the ones the current champion is surest of. Only texts are kept: no
customer ids, and the same redacted text annotators see."""

from __future__ import annotations

import json

from redis import Redis

# The pool holds this many texts per pseudo-label wanted: offline, picking 1,000 of 9,400
# the teacher was surest of gave 93-98% correct pseudo-labels (README § Training recipe).
POOL_FACTOR = 4
# Like the conversation turns normalize keeps: gone a week after traffic stops.
POOL_TTL_S = 7 * 24 * 3600


def traffic_key(prefix: str) -> str:
    return f"{prefix}traffic:confident"


def pool_size(pseudo_labels: int) -> int:
    return pseudo_labels * POOL_FACTOR


def entry(event_id: str, channel: str, text: str) -> str:
    return json.dumps({"event_id": event_id, "channel": channel, "text": text})


def recent_texts(client: Redis, prefix: str, limit: int) -> list[str]:
    """The newest ``limit`` texts of the pool (empty when off or nothing arrived yet)."""
    if limit <= 0:
        return []
    rows = client.lrange(traffic_key(prefix), 0, limit - 1)
    return [str(json.loads(row)["text"]) for row in rows]  # type: ignore[union-attr]
