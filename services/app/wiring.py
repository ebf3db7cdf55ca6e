"""Builds the label-side objects from settings (used by the CLI, the trainer and the demo)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.project import ensure_project, label_set_for_project
from services.annotation.reconcile import Reconciler
from services.annotation.submit import TaskIndex
from services.annotation.webhook import create_webhook_app
from services.annotation.webhook_metrics import WebhookMetrics
from services.core import redis_sync
from services.core.errors import NoLabelSet
from services.core.settings import Settings
from services.labels.sink import KafkaLabelFeed, LabelFeed, LabelSink
from services.labels.store import LabelStore
from services.registry.open import open_registry


def label_sink(settings: Settings, redis: Redis, with_feed: bool = True) -> LabelSink:
    feed: LabelFeed | None = KafkaLabelFeed(settings.kafka) if with_feed else None
    return LabelSink(LabelStore(redis, settings.redis.prefix), feed)


def reconciler(settings: Settings, redis: Redis, sink: LabelSink) -> Reconciler:
    client = LabelStudioClient(settings.label_studio)
    labels = label_set_for_project(settings.model.labels, open_registry(settings.stack))
    project = ensure_project(settings.label_studio, client, redis, settings.redis.prefix, labels)
    return Reconciler(client, sink, redis, settings.redis.prefix, project, labels)


def webhook_app(settings: Settings, metrics: WebhookMetrics | None = None) -> FastAPI:
    """The webhook receiver: labels go to the store (and labels.v1) as they arrive."""

    def labels() -> list[str] | None:
        try:
            return label_set_for_project(settings.model.labels, open_registry(settings.stack))
        except NoLabelSet:  # the receiver stores what it gets
            return None

    index_redis: list[Redis] = []

    def is_ours(task: dict[str, Any]) -> bool:
        """A task Eddy created, in the project it created it in, for the same event, with
        the text Eddy sent (TaskIndex.vouches)."""
        project = task.get("project")
        if not isinstance(project, int):
            return False
        if not index_redis:
            index_redis.append(redis_sync.connect(settings.redis))
        return TaskIndex(index_redis[0], settings.redis.prefix, project).vouches(task)

    return create_webhook_app(
        settings.label_studio,
        lambda: label_sink(settings, redis_sync.connect(settings.redis)),
        labels,
        is_ours,
        metrics,
    )
