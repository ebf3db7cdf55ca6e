"""Builds the label-side objects from settings (used by the CLI, the trainer and the demo)."""

from __future__ import annotations

from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.project import ensure_project, label_set_for_project
from services.annotation.reconcile import Reconciler
from services.core.settings import Settings
from services.labels.sink import KafkaLabelFeed, LabelFeed, LabelSink
from services.labels.store import LabelStore


def label_sink(settings: Settings, redis: Redis, with_feed: bool = True) -> LabelSink:
    feed: LabelFeed | None = KafkaLabelFeed(settings) if with_feed else None
    return LabelSink(LabelStore(redis, settings.redis_prefix), feed)


def reconciler(settings: Settings, redis: Redis, sink: LabelSink) -> Reconciler:
    client = LabelStudioClient(settings)
    labels = label_set_for_project(settings)
    project = ensure_project(settings, client, redis, labels)
    return Reconciler(client, sink, redis, settings.redis_prefix, project, labels)
