"""The retraining cadence: the last run, the next check, the trigger's progress, the last
failure, and whether the trainer has gone quiet. Pure logic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.ops.stream import epoch

TRAINED = ("promoted", "rejected")


def cadence(
    runs: Sequence[Mapping[str, Any]],
    trigger: Mapping[str, Any],
    trainer_beat: Mapping[str, Any] | None,
    interval_s: float,
    stale_after_s: float,
    now: float,
) -> dict[str, Any]:
    """``runs`` newest first (training.runs); ``trigger`` from the trainer's own planning
    (new labels, needed, oldest age, reason); ``trainer_beat`` its heartbeat, which carries
    its last check, next check and last failure."""
    last = next((r for r in runs if r.get("outcome") in TRAINED), None)
    last_at = epoch(last.get("started_at")) if last else None
    beat = trainer_beat or {}
    last_check = beat.get("last_check_at")
    next_check = beat.get("next_check_at")
    failure = beat.get("last_failure")
    stale_limit = stale_after_s or 3 * interval_s
    checked = float(last_check) if isinstance(last_check, int | float) else None
    # Before its first check, a trainer is as fresh as its start.
    alive_since = checked if checked is not None else beat.get("started_at")
    new, needed = int(trigger.get("new_labels") or 0), int(trigger.get("needed") or 0)
    holder = trigger.get("running")
    since = holder.get("since") if isinstance(holder, Mapping) else None
    return {
        # The run in progress (the trainer's, `eddy train`'s): who and for how long. Without
        # it a run of minutes read as a check overdue ("next check in 0 s").
        "running": None
        if not isinstance(holder, Mapping)
        else {
            **holder,
            "for_s": round(now - since, 1) if isinstance(since, int | float) else None,
        },
        "last_run": None
        if last is None
        else {
            "started_at": last.get("started_at"),
            "outcome": last.get("outcome"),
            "challenger_version": last.get("challenger_version"),
            "duration_s": last.get("duration_s"),
            "new_labels": last.get("new_labels"),
        },
        "since_last_run_s": None if last_at is None else round(now - last_at, 1),
        "last_check_s_ago": None if checked is None else round(now - checked, 1),
        "next_check_in_s": None
        if not isinstance(next_check, int | float)
        else round(max(0.0, next_check - now), 1),
        "interval_s": interval_s,
        "trigger": {
            **{k: v for k, v in trigger.items() if k != "running"},
            "progress": round(min(1.0, new / needed), 3) if needed else None,
        },
        "last_failure": failure,
        # A failure stands until a later check completes (the alert's rule too): one check
        # that timed out during a short Redis outage is not a trainer that is failing.
        "failing": isinstance(failure, dict)
        and float(failure.get("at", 0)) > _number(beat.get("last_ok_at")),
        "stale": not isinstance(alive_since, int | float) or now - alive_since > stale_limit,
        "stale_after_s": stale_limit,
    }


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
