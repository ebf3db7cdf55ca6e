"""The record of every training run, kept in Redis (``<prefix>trainer:runs``, newest first)."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from redis import Redis

from services.ops.stream import epoch

KEEP_RUNS = 500


@dataclass
class RunRecord:
    run_id: str
    started_at: str
    trigger: str
    outcome: str  # skipped | busy | planned | promoted | rejected
    champion_version: int | None = None
    challenger_version: int | None = None
    new_labels: int = 0
    replay_labels: int = 0
    holdout: dict[str, int] = field(default_factory=dict)
    champion_metrics: dict[str, Any] | None = None
    challenger_metrics: dict[str, Any] | None = None
    reasons: list[str] = field(default_factory=list)
    recipe: str = ""
    gate: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0  # planning, training and judging (not storing the version)
    ended_at: str = ""  # when it was recorded: the version stored, exported, promoted or not

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def runs_key(prefix: str) -> str:
    return f"{prefix}trainer:runs"


def lock_key(prefix: str) -> str:
    """Held by whoever trains (the trainer, `eddy train`, the demo's last run): one run at a
    time."""
    return f"{prefix}trainer:lock"


def lock_holder(by: str, now: float) -> str:
    """The lock's value: who holds it since when. A lock's token must be unique: the id."""
    host, pid = socket.gethostname(), os.getpid()
    return json.dumps({"by": by, "since": now, "host": host, "pid": pid, "id": uuid.uuid4().hex})


def running(redis: Redis, prefix: str) -> dict[str, Any] | None:
    """The run in progress: who started it and when, None when there is none. A holder that
    is not ours (an older Eddy's random token) is a run by someone unknown."""
    raw = redis.get(lock_key(prefix))
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        return {"by": None, "since": None, "host": None, "pid": None}
    return {k: doc.get(k) for k in ("by", "since", "host", "pid")}


def save_run(redis: Redis, prefix: str, run: RunRecord) -> None:
    redis.lpush(runs_key(prefix), json.dumps(run.as_dict()))
    redis.ltrim(runs_key(prefix), 0, KEEP_RUNS - 1)


def recent_runs(redis: Redis, prefix: str, n: int = 50) -> list[dict[str, Any]]:
    return [json.loads(r) for r in redis.lrange(runs_key(prefix), 0, n - 1)]


def busy(holder: Mapping[str, Any] | None, now: float) -> str:
    """Why a run did not start: another holds the lock, named when it says who."""
    base = "another training run is in progress"
    if not holder or not holder.get("by"):
        return base
    since = holder.get("since")
    age = f", for {now - float(since):.0f} s" if isinstance(since, int | float) else ""
    return f"{base} ({holder['by']}{age})"


def last_trained(runs: Sequence[Mapping[str, Any]]) -> tuple[float, float] | None:
    """(when it ended, how long it took in all) of the newest run that trained a challenger
    (promoted or rejected), from ``runs`` newest first; None when none did. Runs recorded
    before ``ended_at`` existed end at their start plus ``duration_s``."""
    for run in runs:
        if run.get("outcome") not in ("promoted", "rejected"):
            continue
        started = epoch(run.get("started_at"))
        if started is None:
            continue  # a damaged record: the next one may do
        ended = epoch(run.get("ended_at"))
        if ended is None:
            try:
                ended = started + float(run.get("duration_s") or 0.0)
            except (TypeError, ValueError):
                continue
        return ended, max(0.0, ended - started)
    return None
