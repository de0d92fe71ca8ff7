"""Server push to open web chat connections, across gateway replicas.

Whoever has news for a conversation (a late reply, a queue update, later an agent's
message) publishes it on ``webchat:push:<conversation>``; every gateway listens with one
pattern subscription and hands each event to the sockets it holds for that conversation.
Publishing is fire-and-forget: the outbox and the handoff state stay the record, and a
reconnecting widget reads them, so an event missed while offline is not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, AsyncIterator

import structlog
from redis.asyncio import Redis

from channels.redisio import OUTAGE

log = structlog.get_logger(__name__)

PATTERN = "webchat:push:*"
QUEUE_SIZE = 100


def channel(conversation: str) -> str:
    return f"webchat:push:{conversation}"


class PushHub:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._stopping = asyncio.Event()

    async def publish(self, conversation: str, event: dict[str, Any]) -> None:
        await self.redis.publish(channel(conversation), json.dumps(event, ensure_ascii=False))

    @contextlib.asynccontextmanager
    async def subscribe(self, conversation: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._queues.setdefault(conversation, set()).add(queue)
        try:
            yield queue
        finally:
            listeners = self._queues.get(conversation, set())
            listeners.discard(queue)
            if not listeners:
                self._queues.pop(conversation, None)

    def _dispatch(self, name: str, data: str) -> None:
        conversation = name.removeprefix("webchat:push:")
        for queue in self._queues.get(conversation, ()):
            with contextlib.suppress(asyncio.QueueFull):  # a stuck socket must not block others
                queue.put_nowait(json.loads(data))

    async def run(self) -> None:
        while not self._stopping.is_set():
            pubsub = self.redis.pubsub()
            try:
                await pubsub.psubscribe(PATTERN)
                while not self._stopping.is_set():
                    event = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if event and event.get("type") == "pmessage":
                        self._dispatch(str(event["channel"]), str(event["data"]))
            except OUTAGE as exc:
                log.warning("push.redis_unavailable", error=type(exc).__name__)
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def stop(self) -> None:
        self._stopping.set()
