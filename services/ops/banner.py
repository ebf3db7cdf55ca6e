"""What needs a person now: the console's red banner (and the alert rules in deploy/
mirror each condition). Pure logic over the read model's snapshot parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MIN_DECISIONS = 50  # below this, a share says little (the alert's minimum too)
# The conditions whose alert rules are critical (deploy/prometheus/alerts.yml): `eddy status`
# exits 1 on them, so a health check built on it sees what the pager would.
CRITICAL = frozenset(
    {
        "EddyNoChampion",
        "EddyRoleWithoutWorker",
        "EddyConsumerStuck",
        "EddyLabelStudioUnreachable",
        "EddyReadFailed",
    }
)


def banner(
    *,
    champion: int | None,
    missing_roles: Sequence[str],
    stuck: Sequence[str],
    cadence: Mapping[str, Any] | None,
    label_studio_up: bool | None,
    channels: Mapping[str, Mapping[str, Any]],
    label_set: Mapping[str, Any] | None = None,
    route_alarm_share: float,
    errors: Mapping[str, str],
) -> list[dict[str, str]]:
    """Each alert: ``key`` (stable, the alert rule's name), ``message`` (one line)."""
    out: list[dict[str, str]] = []

    def add(key: str, message: str) -> None:
        out.append({"key": key, "message": message})

    if champion is None and "models" not in errors:  # unread registry: unknown, not none
        add(
            "EddyNoChampion",
            "No champion model: classify holds every event until one exists "
            "(`eddy bootstrap --seed FILE`).",
        )
    if missing_roles:
        add("EddyRoleWithoutWorker", f"No live worker for: {', '.join(missing_roles)}.")
    for group in stuck:
        add(
            "EddyConsumerStuck",
            f"Consumer group {group}: lag is growing while it processes "
            "nothing (a stuck or dead consumer).",
        )
    if cadence is not None:
        if cadence.get("failing"):
            failure = cadence.get("last_failure") or {}
            add("EddyTrainerFailing", f"The trainer's last check failed: {failure.get('reason')}.")
        if cadence.get("stale"):
            add(
                "EddyTrainerStale",
                "The trainer has not checked for new labels in over "
                f"{float(cadence.get('stale_after_s') or 0):.0f}s.",
            )
    if label_studio_up is False:
        add("EddyLabelStudioUnreachable", "Label Studio is unreachable: no new tasks, no labels.")
    if label_set and (label_set.get("extra") or label_set.get("missing")):
        add("EddyLabelSetMismatch", _label_set_message(label_set))
    for channel, st in sorted(channels.items()):
        share, n = st.get("unsure_share"), int(st.get("decisions") or 0)
        if share is not None and n >= MIN_DECISIONS and share >= route_alarm_share:
            add(
                "EddyModelRoutesNearlyEverything",
                f"The model is unsure of {share:.0%} of "
                f"{channel} events (EDDY_OPS_ROUTE_ALARM_SHARE): the labelling budget goes to "
                "whatever comes first; check the champion and the channel's traffic.",
            )
    # One line per cause: Redis down fails four reads with the same error, and four red
    # lines saying it again pushed the rest of the page off a phone's screen.
    parts: dict[str, list[str]] = {}
    for part, err in sorted(errors.items()):
        parts.setdefault(err, []).append(part)
    for err, names in parts.items():
        add("EddyReadFailed", f"Could not read {', '.join(names)}: {err}")
    return out


def _label_set_message(doc: Mapping[str, Any]) -> str:
    """What the project offers against Eddy's set, and what to do about it."""
    project, parts = doc.get("project"), []
    if doc.get("extra"):
        parts.append(
            f"Label Studio project {project} offers {', '.join(doc['extra'])}, which Eddy's "
            "label set lacks: answers with it are never trained on (to label with Eddy's set, "
            "set EDDY_LABEL_STUDIO_PROJECT to a new project name)"
        )
    if doc.get("missing"):
        parts.append(
            f"Eddy's label set has {', '.join(doc['missing'])}, which Label Studio project "
            f"{project} does not offer: annotators cannot pick it (the annotate worker adds it "
            "at its next start unless the project offers a label outside Eddy's set)"
        )
    return "; ".join(parts) + "."
