"""The normalize agent: raw channel topics -> interactions.v1 (or deadletter.v1)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import faust

from services.core.dedupe import CONFLICT, DUPLICATE, Deduper
from services.core.retry import retry_forever
from services.core.schemas import SchemaError
from services.ingest.normalize import Normalized, Rejected, normalize_bounded
from services.labels.threads import MAX_TURNS, THREAD_TTL_S, thread_key, turn
from services.runtime.batches import take_batches
from services.runtime.context import WorkerContext
from services.runtime.outbox import STAGE_BATCH, STAGE_WAIT_S

log = logging.getLogger("eddy.normalize")
CONFLICTING = SchemaError(
    "$.event_id",
    "seen before with other content (within EDDY_DEDUPE_TTL_S); the first was kept: give each "
    "event its own id",
)


def register(ctx: WorkerContext) -> None:
    source = ctx.raw_topic(*ctx.topics.channels)
    out = ctx.raw_topic(ctx.topics.interactions)
    s = ctx.settings
    limit = s.kafka.max_record_bytes

    async def normalize_batch(events: list[Any], deduper: Deduper) -> None:
        """One batch in a fixed number of Redis round trips (dedupe, then the threads), not
        one to four per event: on a GPU machine normalize's round trips bound the stream."""
        accepted: list[tuple[Any, Normalized, bytes, str]] = []
        for event in events:
            pos = ctx.position(event)
            channel = ctx.topics.channel_of(pos.topic)
            result, value = normalize_bounded(channel, event.value, event.key, pos, limit)
            if isinstance(result, Rejected):
                await ctx.send_dead_letter(result.dead_letter, event.value)
                log.info("dead-lettered %s reason=%s", pos.token(), result.dead_letter["reason"])
            else:
                accepted.append((event, result, value, pos.token()))
        items = [
            ("normalize", f"{r.interaction['channel']}:{r.event_id}", f"{tok}#{r.digest()}")
            for _, r, _, tok in accepted
        ]
        verdicts = await retry_forever(partial(deduper.verdicts, items), "dedupe")
        turns: list[dict[str, Any]] = []
        for (event, result, value, token), seen in zip(accepted, verdicts, strict=True):
            if seen == DUPLICATE:  # a retry's copy: expected, dropped
                ctx.metrics.inc("duplicate")
                continue
            if seen == CONFLICT:  # the id again with other content: the first is kept
                await ctx.reject(event, "duplicate_conflict", [CONFLICTING], result.interaction)
                log.info("dead-lettered %s reason=duplicate_conflict", token)
                continue
            ctx.outbox.send_soon(out, result.key.encode(), value)
            if result.interaction.get("conversation_id"):
                turns.append(result.interaction)
            ctx.metrics.inc("ok")
        if turns:
            await retry_forever(partial(remember_turns, turns), "thread")

    async def remember_turns(interactions: list[dict[str, Any]]) -> None:
        # In order, so each conversation's turns stay in the order they arrived.
        async with ctx.redis().pipeline(transaction=False) as pipe:
            for interaction in interactions:
                key = thread_key(
                    s.redis.prefix, interaction["channel"], interaction["conversation_id"]
                )
                pipe.rpush(key, turn(interaction))
                pipe.ltrim(key, -MAX_TURNS, -1)
                pipe.expire(key, THREAD_TTL_S)
            await pipe.execute()

    async def normalize_agent(stream: faust.StreamT[Any]) -> None:
        deduper = Deduper(ctx.redis(), s.redis.prefix, s.redis.dedupe_ttl_s)
        async for events in take_batches(stream, STAGE_BATCH, STAGE_WAIT_S):
            await normalize_batch(events, deduper)
            # Before the batch is acked: its input offsets commit only after its outputs.
            await ctx.delivered()

    ctx.app.agent(source, name="normalize", concurrency=1)(normalize_agent)
