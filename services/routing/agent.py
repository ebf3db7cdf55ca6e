"""The route agent: predictions.v1 -> review.v1 for the cases worth a human's time within the
channel's labelling budget (routing.budget), a random share of it, and the audit sample (a
uniformly random share of traffic, whatever the model's confidence, outside the budget)."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

import faust

from services.core.dedupe import Deduper
from services.core.records import dumps, utc_now_iso
from services.core.retry import retry_forever
from services.labels.audit import audit_floor_key, audit_hour_key, audit_key
from services.labels.neardup import near_fingerprint
from services.labels.queue import (
    NEAR_DUP_TTL_S,
    budget_hour_key,
    members_key,
    neardup_key,
    open_key,
    random_key,
)
from services.labels.records import exact_fingerprint
from services.labels.traffic import POOL_TTL_S, entry, pool_size, traffic_key
from services.routing.audit import AuditPolicy, hour_bucket
from services.routing.budget import BudgetPolicy, PriorityWindow, admit
from services.routing.metrics import RouteMetrics
from services.routing.router import Router
from services.routing.strategies import make_strategy
from services.runtime.batches import take_batches
from services.runtime.context import WorkerContext
from services.runtime.outbox import STAGE_BATCH, STAGE_WAIT_S

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
    rs = s.routing
    policy = AuditPolicy(rs.audit_share, rs.audit_floor_per_hour, rs.audit_max_per_hour)
    budget = BudgetPolicy(
        s.routing.budget_per_hour, s.routing.open_cap, s.routing.random_share, s.routing.window
    )
    windows: dict[str, PriorityWindow] = {}
    prefix = s.redis.prefix
    metrics = RouteMetrics(ctx.metrics.registry)
    pool = pool_size(s.trainer.pseudo_labels)

    def decided(channel: str, decision: str) -> None:
        ctx.metrics.inc(decision)  # the heartbeat's counts and eddy_events_total
        metrics.decided(channel, decision)
        per_channel = ctx.details.setdefault("decisions", {}).setdefault(channel, {})
        per_channel[decision] = per_channel.get(decision, 0) + 1

    async def audited_this_hour(channel: str) -> int:
        if not policy.counted:
            return 0  # no floor or ceiling: the share alone decides, no counter to read
        raw = await ctx.redis().get(audit_hour_key(prefix, channel, hour_bucket(time.time())))
        return int(raw or 0)

    async def record_audit(event_id: str, channel: str, pooled: bool) -> None:
        # Before the review is sent: a label must never arrive for an audit event the trainer
        # does not know is one.
        r = ctx.redis()
        if not pooled:  # the floor's pick, or a share the ceiling thinned: a channel at
            # another rate than the rest, kept out of the pooled estimate (its own stands)
            await r.sadd(audit_floor_key(prefix), event_id)  # first: read only for audits
        await r.hset(audit_key(prefix), event_id, channel)
        count_key = audit_hour_key(prefix, channel, hour_bucket(time.time()))
        await r.incr(count_key)
        await r.expire(count_key, 7200)

    pool_key = traffic_key(prefix)

    async def keep_confident(entries: list[str]) -> None:
        """Texts the champion was sure of join the capped pool rebuilds pseudo-label: one
        round trip per batch, not per event."""
        async with ctx.redis().pipeline(transaction=False) as pipe:
            pipe.lpush(pool_key, *entries)
            pipe.ltrim(pool_key, 0, pool - 1)
            pipe.expire(pool_key, POOL_TTL_S)
            await pipe.execute()

    async def queue_counts(channel: str) -> tuple[int, int]:
        """(tasks sent this hour, tasks open) for the channel, across every route replica."""
        r = ctx.redis()
        sent = await r.get(budget_hour_key(prefix, channel, hour_bucket(time.time())))
        return int(sent or 0), int(await r.zcard(open_key(prefix, channel)))

    async def record_sent(event_id: str, channel: str, score: float, sample: str) -> None:
        r = ctx.redis()
        await r.zadd(open_key(prefix, channel), {event_id: score})
        if sample == "random":
            await r.hset(random_key(prefix), event_id, channel)
        if sample != "audit":
            key = budget_hour_key(prefix, channel, hour_bucket(time.time()))
            await r.incr(key)
            await r.expire(key, 7200)

    async def near_duplicate_of(event_id: str, channel: str, text: str) -> str | None:
        """The event that already stands for this text in the queue (it got the task; this
        one is remembered as its member), else None and this event stands for it."""
        fingerprint = near_fingerprint(text)
        if fingerprint is None:
            return None
        r, key = ctx.redis(), neardup_key(prefix, channel, fingerprint)
        if await r.set(key, event_id, nx=True, ex=NEAR_DUP_TTL_S):
            return None
        got = await r.get(key)
        first = got.decode() if isinstance(got, bytes) else got
        if first is None or first == event_id:  # expired meanwhile, or a redelivery
            return None
        await r.hset(members_key(prefix, channel, first), event_id, exact_fingerprint(text))
        return str(first)

    held = {"share": 1.0}  # of the prediction stream, refreshed every batch

    def traffic_share() -> float:
        """The part of the traffic this replica sees: its share of the topic's partitions
        (route replicas split them). 1 while it holds none (mid-rebalance)."""
        topic = ctx.topics.predictions
        try:
            assigned = ctx.app.consumer.assignment()
            # The topic's own count: an existing topic keeps its partitions whatever the
            # setting says now.
            total = ctx.app.consumer.topic_partitions(topic) or s.kafka.partitions
        except Exception:  # no consumer yet (tests, start-up): act as the only replica
            return 1.0
        mine = sum(1 for tp in assigned if tp.topic == topic)
        return min(1.0, mine / total) if mine else 1.0

    async def decide(event_id: str, channel: str, score: float) -> tuple[str | None, str]:
        """(routed, random or None within the channel's budget; admit's reason)."""
        window = windows.setdefault(channel, PriorityWindow(budget.window))
        window.add(time.monotonic(), score)
        threshold = router.threshold_for(channel)
        share = held["share"]
        wanted = admit(budget, window, event_id, score, threshold, 0, 0, share)
        if wanted.sample is not None and (budget.per_hour or budget.open_cap):
            # Only a case that would be sent costs the Redis round trip for the caps.
            sent, open_now = await retry_forever(partial(queue_counts, channel), "queue counts")
            wanted = admit(budget, window, event_id, score, threshold, sent, open_now, share)
        if wanted.sample is None:
            decided(channel, "confident" if wanted.reason == "below_threshold" else wanted.reason)
        return wanted.sample, wanted.reason

    async def route_agent(stream: faust.StreamT[Any]) -> None:
        deduper = Deduper(ctx.redis(), prefix, s.redis.dedupe_ttl_s)
        async for events in take_batches(stream, STAGE_BATCH, STAGE_WAIT_S):
            confident: list[str] = []
            # Audits this hour per channel, read once a batch (not once an event) and counted
            # on as this batch audits: another replica's audits show from the next batch.
            audits: dict[str, int] = {}
            share = traffic_share()
            if share != held["share"]:
                log.info("this replica sees %.2f of the traffic (its partitions)", share)
                held["share"] = share
            for event in events:
                await route_one(event, deduper, confident, audits)
            if confident:
                await retry_forever(partial(keep_confident, confident), "pool")
            # Before the batch is acked: its input offsets commit only after its outputs.
            await ctx.delivered()

    async def route_one(
        event: Any, deduper: Deduper, confident: list[str], audits: dict[str, int]
    ) -> None:
        pred = await ctx.decode(event, "prediction")
        if pred is None:
            return
        event_id, channel = str(pred["event_id"]), str(pred["channel"])
        rate = 0.0  # unknown: the share unthinned
        if policy.counted:
            if channel not in audits:
                audits[channel] = await retry_forever(
                    partial(audited_this_hour, channel), "audit count"
                )
            window = windows.setdefault(channel, PriorityWindow(budget.window))
            rate = window.rate_per_s() / held["share"]  # the channel's, all replicas together
            audit = policy.decide(event_id, audits[channel], rate)
        else:
            audit = policy.sampled(event_id)
        score = router.score(pred)
        sample, reason = ("audit", "audit") if audit else await decide(event_id, channel, score)
        if sample is None:
            if pool and reason == "below_threshold":
                confident.append(entry(event_id, channel, str(pred["text"])))
            return
        token = ctx.position(event).token()
        first = await retry_forever(
            partial(deduper.first_time, "review", f"{channel}:{event_id}", token), "dedupe"
        )
        if not first:
            decided(channel, "duplicate")
            return
        if not audit and s.routing.near_duplicates:
            represented_by = await retry_forever(
                partial(near_duplicate_of, event_id, channel, str(pred["text"])), "near dup"
            )
            if represented_by is not None:
                decided(channel, "near_duplicate")
                return
        if audit:
            pooled = policy.pooled(event_id, rate)
            await retry_forever(partial(record_audit, event_id, channel, pooled), "audit record")
            if channel in audits:
                audits[channel] += 1
        await retry_forever(partial(record_sent, event_id, channel, score, sample), "queue")
        review = router.review(pred, score, utc_now_iso(), sample)
        ctx.outbox.send_soon(out, event.key, dumps(review))
        decided(channel, sample)

    ctx.app.agent(source, name="route", concurrency=1)(route_agent)
