"""The classify agent: interactions.v1 -> predictions.v1, in micro-batches."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust
import torch

from services.core.records import (
    dumps,
    utc_now_iso,
)
from services.core.schemas import SchemaError
from services.inference.finite import sanitize
from services.inference.holder import ModelHolder
from services.inference.metrics import InferenceMetrics
from services.inference.predictions import produced_at, to_prediction
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.registry.open import open_registry
from services.registry.rollout import rollback_from
from services.registry.store import RegistryError
from services.runtime.batches import take_batches
from services.runtime.context import WorkerContext

log = logging.getLogger("eddy.classify")
WORKER = "classify worker (automatic)"  # who rolled back, in the history


def register(ctx: WorkerContext) -> None:
    s = ctx.settings
    source = ctx.raw_topic(ctx.topics.interactions)
    out = ctx.raw_topic(ctx.topics.predictions)
    if s.model.torch_threads:
        torch.set_num_threads(s.model.torch_threads)
    # One thread: forward passes run serially off the event loop; torch parallelises inside.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eddy-forward")
    # Another for the tokenizer, so that it works while the model does.
    tokenizer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eddy-tokenize")
    holder = ModelHolder(
        s.model,
        open_registry(s.stack),
        select_placement(s.model.device, s.model.precision),
        executor,
        tokenizer,
    )

    models_topic = ctx.raw_topic(ctx.topics.models)
    metrics = InferenceMetrics(ctx.metrics.registry)

    async def non_finite(clf: TextClassifier, n: int) -> None:
        """Non-finite rows go to review as maximally uncertain. If the champion's weights
        themselves are not finite it is broken for every event: it is rolled back (once,
        whichever worker sees it first) and announced on models.v1. One odd input (an fp16
        overflow) does not roll back a healthy model."""
        ctx.metrics.inc("non_finite", n)
        loop = asyncio.get_running_loop()
        if await loop.run_in_executor(executor, clf.weights_finite):
            log.warning("v%s: %d non-finite prediction(s), weights finite", clf.version, n)
            return
        log.error("model v%s has non-finite weights; rolling it back", clf.version)
        reason = f"automatic: v{clf.version} has non-finite weights"
        try:
            event = await loop.run_in_executor(
                executor, rollback_from, holder.registry, clf.version, reason, None, WORKER
            )
        except RegistryError as exc:
            log.error("cannot roll back v%s: %s", clf.version, exc)
            return
        if event is not None:
            await models_topic.send(key=b"champion", value=dumps(event))
        await holder.refresh(force=True)  # another worker may have rolled it back already

    async def classify_agent(stream: faust.StreamT[Any]) -> None:
        await holder.wait_ready()
        ctx.model_version = holder.version
        if holder.version is not None:
            metrics.serving(holder.version)
        async for events in take_batches(
            stream, s.model.batch_max_size, s.model.batch_max_wait_ms / 1000
        ):
            await classify_batch(events)
            # Before the batch is acked: its input offsets commit only after its outputs.
            await ctx.delivered()

    def serving(clf: TextClassifier) -> None:
        ctx.model_version = clf.version
        if holder.choice is not None:
            ctx.details["backend"] = holder.choice.backend
        metrics.serving(clf.version)

    async def follow_champion() -> None:
        """The pointer is checked on a timer too, not only when a batch comes: on a quiet
        stream the new version is loaded (on the loader thread) before the next event."""
        if holder.current is None:
            return  # the agent's wait_ready makes the first load
        clf = await holder.refresh()
        if clf is not None:
            serving(clf)

    async def classify_batch(events: Any) -> None:
        batch = await ctx.decode_batch(events, "interaction")
        if not batch:
            return
        clf = await holder.refresh()
        assert clf is not None  # wait_ready guarantees a model
        serving(clf)
        started = time.perf_counter()
        try:
            probs = await holder.predict(clf, [rec["text"] for _, rec in batch])
        except Exception as exc:  # a poisoned batch must not stop the stream
            log.exception("inference failed for a batch of %d", len(batch))
            for ev, rec in batch:
                await ctx.reject(
                    ev, "inference_failed", [SchemaError("$", f"{type(exc).__name__}")], rec
                )
            return
        inference_ms = (time.perf_counter() - started) * 1000
        probs, bad = sanitize(probs)
        if any(bad):
            await non_finite(clf, sum(bad))
        metrics.batch(len(batch), inference_ms / 1000)
        now, wall = utc_now_iso(), time.time()
        for (_ev, rec), p in zip(batch, probs, strict=True):
            pred = to_prediction(
                rec,
                p,
                clf.labels,
                clf.version,
                now=now,
                batch_size=len(batch),
                inference_ms=inference_ms,
                device=str(clf.placement.device),
                precision=clf.backend.rpartition("-")[2],  # fp32, bf16, int8 ...
            )
            ctx.outbox.send_soon(out, rec["key"].encode(), dumps(pred))
            produced = produced_at(rec)
            metrics.prediction(
                pred["channel"],
                pred["label"],
                pred["confidence"],
                None if produced is None else wall - produced,
            )
        ctx.metrics.inc("ok", len(batch))

    ctx.app.agent(source, name="classify", concurrency=1)(classify_agent)
    ctx.app.timer(interval=max(s.model.poll_s, 0.5))(follow_champion)
