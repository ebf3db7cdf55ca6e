import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from services.core.dedupe import Deduper
from services.core.settings import Settings

pytestmark = pytest.mark.integration


def test_first_time_redelivery_and_duplicate(settings: Settings, redis_server: str) -> None:
    async def go() -> tuple[bool, bool, bool]:
        client = Redis.from_url(redis_server, decode_responses=True)
        d = Deduper(client, settings.redis.prefix, 60)
        item = uuid.uuid4().hex
        first = await d.first_time("s", item, "topic:0:5")
        redelivered = await d.first_time("s", item, "topic:0:5")
        duplicate = await d.first_time("s", item, "topic:1:9")
        ttl = await client.ttl(d.key("s", item))
        await client.aclose()
        assert 0 < ttl <= 60
        return first, redelivered, duplicate

    assert asyncio.run(go()) == (True, True, False)


def test_first_times_batch_matches_one_by_one(settings: Settings, redis_server: str) -> None:
    async def go() -> list[bool]:
        client = Redis.from_url(redis_server, decode_responses=True)
        d = Deduper(client, settings.redis.prefix, 60)
        a, b, c = (uuid.uuid4().hex for _ in range(3))
        assert await d.first_time("s", a, "t:0:1")  # seen before the batch
        got = await d.first_times(
            [
                ("s", a, "t:0:1"),  # a redelivery of the message that marked it
                ("s", b, "t:0:2"),  # new
                ("s", b, "t:1:7"),  # the same id again in the batch: a duplicate
                ("s", a, "t:2:3"),  # another message with a marked id: a duplicate
                ("s", c, "t:0:3"),  # new
            ]
        )
        ttl = await client.ttl(d.key("s", c))
        assert await d.first_times([]) == []
        await client.aclose()
        assert 0 < ttl <= 60
        return got

    assert asyncio.run(go()) == [True, True, False, False, True]


def test_the_same_id_with_other_content_is_a_conflict(
    settings: Settings, redis_server: str
) -> None:
    async def go() -> list[str]:
        client = Redis.from_url(redis_server, decode_responses=True)
        d = Deduper(client, settings.redis.prefix, 60)
        a, old = uuid.uuid4().hex, uuid.uuid4().hex
        await client.set(d.key("s", old), "t:0:1", ex=60)  # marked before digests were kept
        got = await d.verdicts(
            [
                ("s", a, "t:0:1#d1"),  # new
                ("s", a, "t:0:1#d1"),  # this very message again (a redelivery)
                ("s", a, "t:1:5#d1"),  # a retry's copy: same content
                ("s", a, "t:1:6#d2"),  # the id with other content
                ("s", old, "t:2:2#d3"),  # no digest stored to compare: a duplicate
            ]
        )
        await client.aclose()
        return got

    assert asyncio.run(go()) == ["first", "first", "duplicate", "conflict", "duplicate"]
