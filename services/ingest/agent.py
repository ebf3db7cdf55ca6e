"""The normalize agent: raw channel topics -> interactions.v1 (or deadletter.v1)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import faust

from services.core.dedupe import Deduper
from services.core.retry import retry_forever
from services.ingest.normalize import Rejected, normalize_bounded
from services.labels.threads import MAX_TURNS, THREAD_TTL_S, thread_key, turn
from services.runtime.context import WorkerContext
from services.runtime.outbox import STAGE_BATCH, STAGE_WAIT_S

log = logging.getLogger("eddy.normalize")


def register(ctx: WorkerContext) -> None:
    source = ctx.raw_topic(*ctx.topics.channels)
    out = ctx.raw_topic(ctx.topics.interactions)
    s = ctx.settings
    limit = s.kafka.max_record_bytes

    async def normalize_one(event: Any, deduper: Deduper) -> None:
        pos = ctx.position(event)
        channel = ctx.topics.channel_of(pos.topic)
        result, value = normalize_bounded(channel, event.value, event.key, pos, limit)
        if isinstance(result, Rejected):
            await ctx.send_dead_letter(result.dead_letter, event.key, event.value)
            log.info("dead-lettered %s reason=%s", pos.token(), result.dead_letter["reason"])
            return
        scope_id = f"{channel}:{result.event_id}"
        first = await retry_forever(
            partial(deduper.first_time, "normalize", scope_id, pos.token()), "dedupe"
        )
        if not first:
            ctx.metrics.inc("duplicate")
            return
        await ctx.outbox.send(out, result.key.encode(), value)
        conversation = result.interaction.get("conversation_id")
        if conversation:
            await retry_forever(partial(remember_turn, result.interaction), "thread")
        ctx.metrics.inc("ok")

    async def remember_turn(interaction: dict[str, Any]) -> None:
        key = thread_key(s.redis.prefix, interaction["channel"], interaction["conversation_id"])
        r = ctx.redis()
        await r.rpush(key, turn(interaction))
        await r.ltrim(key, -MAX_TURNS, -1)
        await r.expire(key, THREAD_TTL_S)

    async def normalize_agent(stream: faust.StreamT[Any]) -> None:
        deduper = Deduper(ctx.redis(), s.redis.prefix, s.redis.dedupe_ttl_s)
        async for events in stream.take_events(  # type: ignore[attr-defined]
            STAGE_BATCH, within=STAGE_WAIT_S
        ):
            for event in events:
                await normalize_one(event, deduper)
            # Before the batch is acked: its input offsets commit only after its outputs.
            await ctx.delivered()

    ctx.app.agent(source, name="normalize", concurrency=1)(normalize_agent)
