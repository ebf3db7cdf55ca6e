"""Whether the Label Studio project offers Eddy's label set, as the process that configures
the project (the annotate worker, the ML backend) last found it: a fact in Redis the console
and `eddy status` read, so a mismatch is seen on the page and paged on, not only in a log.
Answers with a choice outside Eddy's set are never trained on: annotators' time lost."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from redis import Redis


def label_set_key(prefix: str) -> str:
    return f"{prefix}ls:label-set"


def record_label_set(
    redis: Redis, prefix: str, project_id: int, offered: Sequence[str], labels: Sequence[str]
) -> dict[str, Any] | None:
    """Store the mismatch (None and the key gone when the project offers exactly Eddy's set)."""
    extra = sorted(set(offered) - set(labels))
    missing = sorted(set(labels) - set(offered))
    if not extra and not missing:
        redis.delete(label_set_key(prefix))
        return None
    doc = {"project": project_id, "extra": extra, "missing": missing, "at": time.time()}
    redis.set(label_set_key(prefix), json.dumps(doc))
    return doc


def label_set_state(redis: Redis, prefix: str) -> dict[str, Any] | None:
    raw = redis.get(label_set_key(prefix))
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
