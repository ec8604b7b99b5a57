"""The live feed's wake-up signal: "location X has new activity rows".

The activity table is the feed itself (it survives restarts and serves `Last-Event-ID` resumes);
this module only tells listeners when to look. With Redis, a pub/sub message reaches every API
replica at once; without Redis, listeners poll the table on a short interval.
"""

from __future__ import annotations

import asyncio

import redis
import redis.asyncio as aioredis

CHANNEL_PREFIX = "hub:activity:"
POLL_INTERVAL_S = 1.0  # with Redis: a safety net only, the pub/sub message wakes listeners first
# Without Redis the poll is the only wake-up: one indexed query per listener four times a second
# keeps accepted → on stream under a second at 200 deliveries/s (bench/README.md).
STORE_POLL_S = 0.25


def channel(location_id: str) -> str:
    return CHANNEL_PREFIX + location_id


def notify_activity(client: redis.Redis, location_id: str) -> None:
    """Tell every listener of `location_id` to read the activity table again."""
    client.publish(channel(location_id), b"1")


class ActivitySignal:
    """Waits for a location's wake-up, or `POLL_INTERVAL_S` at most (the feed stays correct without it)."""

    def __init__(self, redis_url: str | None) -> None:
        self._redis = aioredis.Redis.from_url(redis_url) if redis_url else None

    async def wait(self, location_id: str, timeout_s: float = POLL_INTERVAL_S) -> None:
        if self._redis is None:
            await asyncio.sleep(min(timeout_s, STORE_POLL_S))
            return
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(channel(location_id))
            deadline = asyncio.get_running_loop().time() + timeout_s
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
                if message is not None:
                    return
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
