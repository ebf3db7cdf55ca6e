"""Create or reuse the Label Studio project and its webhook (idempotent, race-safe)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from redis import Redis

from services.annotation.client import LabelStudioClient
from services.core.errors import NoLabelSet
from services.core.settings import LabelStudioSettings
from services.registry.store import ModelRegistry

log = logging.getLogger("eddy.annotation.project")


def label_set_for_project(
    configured: Sequence[str], models_dir: Path, fallback: list[str] | None = None
) -> list[str]:
    """EDDY_LABELS, else the champion's label set, else what the caller saw in the data."""
    if configured:
        return list(configured)
    champ = ModelRegistry(models_dir).champion()
    if champ is not None:
        return champ.labels
    if fallback:
        return list(fallback)
    raise NoLabelSet(
        "no label set yet: set EDDY_LABELS or bootstrap a model (`eddy bootstrap --seed FILE`)"
    )


def ensure_project(
    settings: LabelStudioSettings,
    client: LabelStudioClient,
    redis: Redis,
    redis_prefix: str,
    labels: list[str],
) -> int:
    """The project titled EDDY_LABEL_STUDIO_PROJECT, created from ``labels`` if missing, with
    Eddy's webhook registered. A Redis lock stops two processes creating it twice."""
    title = settings.project
    project_id = client.find_project(title)
    if project_id is None:
        with redis.lock(f"{redis_prefix}ls:project-lock", timeout=60, blocking_timeout=90):
            project_id = client.find_project(title)
            if project_id is None:
                project_id = client.create_project(title, labels)
                log.info("created Label Studio project %d with %d labels", project_id, len(labels))
    else:
        have = client.project_labels(project_id)
        if have and sorted(have) != sorted(labels):
            log.warning(
                "Label Studio project %d has labels %s, the model has %s; labels outside the "
                "model's set are ignored",
                project_id,
                have,
                labels,
            )
    client.ensure_webhook(
        project_id, settings.webhook_target, settings.webhook_secret.get_secret_value()
    )
    return project_id
