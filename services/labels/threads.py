"""The recent turns of each conversation (chat conversation, CRM case, ad comment thread),
already redacted, so an annotator sees what came before the message they label. Normalize
appends each interaction; the annotation bridge reads the turns before a reviewed one.

Redis: ``<prefix>thread:<channel>:<conversation id>``, a list of JSON turns capped at
MAX_TURNS, expiring THREAD_TTL_S after the last turn. Formatting is pure."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

MAX_TURNS = 10
THREAD_TTL_S = 7 * 24 * 3600
SHOWN_TURNS = 3
# What an annotator reads where a conversation has no earlier turn (a bare "-" puzzled them).
NO_CONTEXT = "(no earlier messages)"
TURN_CHARS = 280


def thread_key(prefix: str, channel: str, conversation_id: str) -> str:
    return f"{prefix}thread:{channel}:{conversation_id}"


def turn(interaction: Mapping[str, Any]) -> str:
    meta = interaction.get("metadata") or {}
    return json.dumps(
        {
            "event_id": interaction["event_id"],
            "text": interaction["text"],
            "role": meta.get("author_role") or interaction["channel"],
        }
    )


def context_before(turns: Sequence[str], event_id: str) -> str:
    """The SHOWN_TURNS turns before ``event_id``, one line each (NO_CONTEXT when there are none)."""
    parsed, seen = [], set()
    for raw in turns:
        try:
            t = json.loads(raw)
        except ValueError:
            continue
        if t.get("event_id") == event_id:
            break
        if t.get("event_id") not in seen:  # a redelivered interaction is appended twice
            seen.add(t.get("event_id"))
            parsed.append(t)
    lines = []
    for t in parsed[-SHOWN_TURNS:]:
        text = str(t.get("text") or "")
        text = text if len(text) <= TURN_CHARS else text[: TURN_CHARS - 1] + "…"
        lines.append(f"{t.get('role') or '?'}: {text}")
    return "\n".join(lines) or NO_CONTEXT
