"""The annotate agent: review.v1 -> Label Studio tasks, in batches, retried while Label
Studio is down. Events stay uncommitted until their batch is in Label Studio, so an outage
loses nothing; the task index makes the retry idempotent."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust

from services.annotation.client import LabelStudioClient
from services.annotation.lserrors import LabelStudioRefused, LabelStudioUnavailable
from services.annotation.project import ensure_project, label_set_for_project
from services.annotation.submit import SubmitResult, TaskIndex, TaskSubmitter
from services.core import redis_sync
from services.core.schemas import SchemaError
from services.labels.threads import NO_CONTEXT, context_before, thread_key
from services.registry.open import open_registry
from services.runtime.batches import take_batches
from services.runtime.context import WorkerContext

log = logging.getLogger("eddy.annotate")


class BlockingBridge:
    """Everything that talks to Label Studio, run on one worker thread."""

    def __init__(self, ctx: WorkerContext) -> None:
        self.settings = ctx.settings
        self.client = LabelStudioClient(ctx.settings.label_studio)
        self.redis = redis_sync.connect(ctx.settings.redis)
        self.submitter: TaskSubmitter | None = None

    def _ready(self, labels_seen: list[str]) -> TaskSubmitter:
        if self.submitter is None:
            labels = label_set_for_project(
                self.settings.model.labels, open_registry(self.settings.stack), labels_seen
            )
            project = ensure_project(
                self.settings.label_studio,
                self.client,
                self.redis,
                self.settings.redis.prefix,
                labels,
                self.settings.annotation,
                open_registry(self.settings.stack).champion_version(),
            )
            index = TaskIndex(self.redis, self.settings.redis.prefix, project)
            self.submitter = TaskSubmitter(
                self.client, index, project, self.context_of, self.settings.annotation.suggest
            )
        return self.submitter

    def context_of(self, review: dict[str, Any]) -> str:
        conversation = review.get("conversation_id")
        if not conversation:
            return NO_CONTEXT
        key = thread_key(self.settings.redis.prefix, review["channel"], str(conversation))
        turns: list[str] = self.redis.lrange(key, 0, -1)  # type: ignore[assignment]
        return context_before(turns, str(review["event_id"]))

    def submit(self, reviews: list[dict[str, Any]]) -> SubmitResult:
        return self._ready(list(reviews[0]["probs"])).submit(reviews)


def register(ctx: WorkerContext) -> None:
    s = ctx.settings
    source = ctx.raw_topic(ctx.topics.review)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eddy-ls")
    bridge = BlockingBridge(ctx)

    async def submit_with_retry(reviews: list[dict[str, Any]]) -> SubmitResult | None:
        loop = asyncio.get_running_loop()
        delay = 0.5
        while True:
            try:
                return await loop.run_in_executor(executor, bridge.submit, reviews)
            except LabelStudioUnavailable as exc:
                log.warning("Label Studio unavailable (%s); retrying in %.1fs", exc, delay)
            except LabelStudioRefused as exc:
                if exc.auth:
                    # Bad token / permissions: an operator must fix it; hold the events.
                    log.error("Label Studio refused Eddy's credentials: %s", exc)
                else:
                    return None  # the request itself was refused: the caller splits it
            ctx.metrics.inc("ls_retry")
            await asyncio.sleep(delay)
            delay = min(30.0, delay * 2)

    async def annotate_agent(stream: faust.StreamT[Any]) -> None:
        async for events in take_batches(
            stream, s.label_studio.batch_size, s.label_studio.batch_wait_ms / 1000
        ):
            await annotate_batch(events)
            await ctx.delivered()  # its dead letters, before the batch is acked

    async def annotate_batch(events: Any) -> None:
        batch = await ctx.decode_batch(events, "review")
        if not batch:
            return
        result = await submit_with_retry([rec for _, rec in batch])
        if result is None:
            # Refused as a batch: find the culprits one by one, dead-letter only them.
            result = SubmitResult(0, 0)
            for ev, rec in batch:
                one = await submit_with_retry([rec])
                if one is None:
                    await ctx.reject(
                        ev, "label_studio_refused", [SchemaError("$", "task refused")], rec
                    )
                else:
                    result = SubmitResult(
                        result.created + one.created, result.already + one.already
                    )
        ctx.metrics.inc("tasks_created", result.created)
        ctx.metrics.inc("duplicate", result.already)

    ctx.app.agent(source, name="annotate", concurrency=1)(annotate_agent)
