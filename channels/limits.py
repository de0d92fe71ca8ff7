"""Abuse limits for public entry points: fixed one-minute windows counted in Redis, so
every gateway replica shares them. Keys hold pseudonyms only, never an address or id."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from channels.errors import TooManyRequestsError

WINDOW_S = 60

SESSION_TEXT = "您发送消息太频繁了，请休息一分钟后再试。如问题紧急，可拨打12333。"
ADDRESS_TEXT = "当前网络发送的消息过多，请稍后再试。如问题紧急，可拨打12333。"


class RateLimiter:
    def __init__(self, redis: Redis, area: str) -> None:
        self.redis = redis
        self.area = area

    async def hit(self, scope: str, subject: str, limit: int, message: str) -> None:
        """Count one request of ``subject``; raise once it is over ``limit`` a minute."""
        window = int(time.time()) // WINDOW_S
        key = f"ratelimit:{self.area}:{scope}:{subject}:{window}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_S * 2)
            count, _ = await pipe.execute()
        if int(count) > limit:
            raise TooManyRequestsError(message)
