"""Create or reuse the Label Studio project and its webhook (idempotent, race-safe)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.lserrors import LabelStudioRefused
from services.annotation.tasks import definition_notes, instructions_html, labeling_config
from services.core.errors import NoLabelSet
from services.core.settings import AnnotationSettings, LabelStudioSettings
from services.labels.labelset import record_label_set
from services.registry.store import ModelRegistry

log = logging.getLogger("eddy.annotation.project")
# The Data Manager tab annotators open: the Data Manager's own order (not Label Studio's
# sampling) decides what "Label All Tasks" serves, so it sorts by the current version's
# prediction score, lowest (least sure) first.
LEAST_SURE_FIRST = "Least sure first"
# Label Studio's bookkeeping, Eddy's ids and the queue score, hidden in that tab so the text
# and the channel come first (an annotator scrolled right past ten columns to find them), and
# no number sets an audit pick apart.
_BOOKKEEPING = (
    "inner_id completed_at cancelled_annotations total_predictions annotations_results "
    "annotations_ids predictions_score predictions_model_versions predictions_results "
    "file_upload storage_filename created_at updated_at updated_by avg_lead_time "
    "draft_exists data.event_id data.model_label data.model_version data.meta data.context "
    "data.model_confidence"
)
HIDDEN_COLUMNS = [f"tasks:{c}" for c in _BOOKKEEPING.split(" ")]


def label_set_for_project(
    configured: Sequence[str], registry: ModelRegistry, fallback: list[str] | None = None
) -> list[str]:
    """EDDY_LABELS, else the champion's label set, else what the caller saw in the data."""
    if configured:
        return list(configured)
    champ = registry.champion()
    if champ is not None:
        return champ.labels
    if fallback:
        return list(fallback)
    raise NoLabelSet(
        "no label set yet: set EDDY_LABELS or bootstrap a model (`eddy bootstrap --seed FILE`)"
    )


def configure_project(
    client: LabelStudioClient,
    project_id: int,
    annotation: AnnotationSettings,
    labels: list[str],
    champion: int | None,
) -> list[str]:
    """What annotators see and in which order: the instructions and label definitions, the
    overlap, and uncertainty sampling over the champion's predictions (Label Studio serves
    the task whose current-version prediction has the lowest score first; a task's score is
    1 - its routing score, so the least sure case comes first)."""
    fields: dict[str, Any] = {
        "expert_instruction": instructions_html(
            annotation.instructions, labels, annotation.label_definitions, annotation.suggest
        ),
        # Blind: the label stream opens a blank choice (the prediction still orders the
        # queue). Label Studio clears the model version on this; it is set again below.
        "show_collab_predictions": annotation.suggest,
        "show_instruction": True,
        "sampling": "Uncertainty sampling",
        "maximum_annotations": annotation.overlap,
        "overlap_cohort_percentage": annotation.overlap_percent if annotation.overlap > 1 else 100,
    }
    client.update_project(project_id, **fields)
    for note in definition_notes(labels, annotation.label_definitions):
        log.warning("Label Studio project %d: %s", project_id, note)
    offered = _refresh_config(
        client, project_id, labels, annotation.label_definitions, annotation.suggest
    )
    client.ensure_view(project_id, LEAST_SURE_FIRST, ["tasks:predictions_score"], HIDDEN_COLUMNS)
    # Only a version with predictions there: Label Studio refuses any other, logging an ERROR
    # with a traceback at every start (the first import of the version's tasks sets it).
    # Without the champion's, the newest there: the update above may have cleared it.
    have = [int(v[1:]) for v in client.model_versions(project_id) if re.fullmatch(r"v\d+", v)]
    if champion is not None and champion in have:
        set_model_version(client, project_id, champion)
    elif have:
        set_model_version(client, project_id, max(have))
    return offered


def _refresh_config(
    client: LabelStudioClient,
    project_id: int,
    labels: list[str],
    definitions: Mapping[str, str],
    suggest: bool,
) -> list[str]:
    """The labeling screen as this version of Eddy draws it, with each label's definition as
    its hint: the project may have been created by a process that had no definitions (the
    trainer's reconciler often comes first), by an older Eddy, or for fewer labels (one added
    to EDDY_LABELS: annotators could not pick it). Never over a label the project offers and
    Eddy's set lacks: its annotations would lose their choice (Label Studio 1.23 allows it)
    and annotators mid-task theirs; the operator is told how to go on instead. Returns the
    choices the project offers now."""
    have, offered = client.project_config(project_id)
    wanted = labeling_config(labels, definitions, suggest)
    if have == wanted:
        return offered
    if not set(offered) <= set(labels):
        log.warning(
            "Label Studio project %d still offers %s, not Eddy's label set %s: Eddy does not "
            "take a label away from a project; to label with the new set, set "
            "EDDY_LABEL_STUDIO_PROJECT to a new project name",
            project_id, offered, labels,
        )  # fmt: skip
        return offered
    try:
        client.update_project(project_id, label_config=wanted)
    except LabelStudioRefused as exc:
        log.warning("Label Studio project %d kept its labeling config: %s", project_id, exc)
        return offered
    if sorted(offered) != sorted(labels):
        log.info("Label Studio project %d now offers %s (was %s)", project_id, labels, offered)
    else:
        log.info("Label Studio project %d: labeling config updated", project_id)
    return labels


def set_model_version(client: LabelStudioClient, project_id: int, version: int) -> bool:
    """Point uncertainty sampling at ``version``'s predictions. Label Studio refuses a version
    none of its tasks has a prediction of yet: False then (the first import sets it)."""
    try:
        client.update_project(project_id, model_version=f"v{version}")
        return True
    except LabelStudioRefused:
        return False


def ensure_project(
    settings: LabelStudioSettings,
    client: LabelStudioClient,
    redis: Redis,
    redis_prefix: str,
    labels: list[str],
    annotation: AnnotationSettings | None = None,
    champion: int | None = None,
) -> int:
    """The project titled EDDY_LABEL_STUDIO_PROJECT, created from ``labels`` if missing, with
    Eddy's webhook registered. A Redis lock stops two processes creating it twice."""
    title = settings.project
    project_id = client.find_project(title)
    if project_id is None:
        with redis.lock(f"{redis_prefix}ls:project-lock", timeout=60, blocking_timeout=90):
            project_id = client.find_project(title)
            if project_id is None:
                defs, suggest = (
                    (annotation.label_definitions, annotation.suggest)
                    if annotation
                    else ({}, False)
                )
                project_id = client.create_project(title, labeling_config(labels, defs, suggest))
                log.info("created Label Studio project %d with %d labels", project_id, len(labels))
    else:
        have = client.project_labels(project_id)
        # With the annotation settings, configure_project below adds new labels or says why
        # not; this warning is for the processes that only read the project.
        if annotation is None and have and sorted(have) != sorted(labels):
            log.warning(
                "Label Studio project %d offers %s, Eddy's label set (EDDY_LABELS, else the "
                "champion's) is %s; answers outside Eddy's set are never trained on",
                project_id,
                have,
                labels,
            )
    if annotation is not None:
        # The process that configures the project says what it offers, for the console.
        offered = configure_project(client, project_id, annotation, labels, champion)
        record_label_set(redis, redis_prefix, project_id, offered, labels)
    client.ensure_webhook(
        project_id, settings.webhook_target, settings.webhook_secret.get_secret_value()
    )
    return project_id
