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
