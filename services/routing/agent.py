"""The route agent: predictions.v1 -> review.v1 for the cases worth a human's time."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import faust

from services.core.dedupe import Deduper
from services.core.records import dumps, utc_now_iso
from services.core.retry import retry_forever
from services.routing.router import Router
from services.routing.strategies import make_strategy
from services.runtime.context import WorkerContext

log = logging.getLogger("eddy.route")


def register(ctx: WorkerContext) -> None:
    s = ctx.settings
    source = ctx.raw_topic(ctx.topics.predictions)
    out = ctx.raw_topic(ctx.topics.review)
    router = Router(
        make_strategy(s.routing.strategy, s.routing.seed),
        s.routing.threshold,
        dict(s.routing.thresholds),
    )

    async def route_agent(stream: faust.StreamT[Any]) -> None:
        deduper = Deduper(ctx.redis(), s.redis.prefix, s.redis.dedupe_ttl_s)
        async for event in stream.events():
            pred = await ctx.decode(event, "prediction")
            if pred is None:
                continue
            review = router.route(pred, utc_now_iso())
            if review is None:
                ctx.metrics.inc("confident")
                continue
            scope_id = f"{pred['channel']}:{pred['event_id']}"
            token = ctx.position(event).token()
            first = await retry_forever(
                partial(deduper.first_time, "review", scope_id, token), "dedupe"
            )
            if not first:
                ctx.metrics.inc("duplicate")
                continue
            await out.send(key=event.key, value=dumps(review))
            ctx.metrics.inc("routed")

    ctx.app.agent(source, name="route", concurrency=1)(route_agent)
