"""Replicas are found through the heartbeat index on a real Redis: no SCAN of the keyspace
(a week of event-id dedupe keys made each read thousands of SCAN calls), and a process that
stopped beating drops out of the index."""

from __future__ import annotations

import json
import uuid

from redis import Redis

from services.core.heartbeat import TTL_S, heartbeat_index, heartbeat_key
from services.core.settings import Settings
from services.ops.heartbeats import replicas


def test_replicas_come_from_the_index_without_a_scan(settings: Settings, redis_server: str) -> None:
    prefix = f"hb{uuid.uuid4().hex[:6]}:"
    s = settings.override(redis={"prefix": prefix})
    r = Redis.from_url(s.redis.url, decode_responses=True, **s.redis.auth)
    try:
        live = heartbeat_key(prefix, "route", "h1", 11)
        beat = {"role": "route", "host": "h1", "pid": 11, "at": 1.0}
        r.set(live, json.dumps(beat), ex=TTL_S)
        stopped = heartbeat_key(prefix, "classify", "h1", 12)  # its key has expired
        r.sadd(heartbeat_index(prefix), live, stopped)
        r.mset({f"{prefix}dedupe:{n}": "1" for n in range(2000)})  # traffic's keys
        scans = int(r.info("commandstats").get("cmdstat_scan", {}).get("calls", 0))
        assert replicas(s.redis) == [beat]
        assert int(r.info("commandstats").get("cmdstat_scan", {}).get("calls", 0)) == scans
        assert r.smembers(heartbeat_index(prefix)) == {live}
    finally:
        r.close()
