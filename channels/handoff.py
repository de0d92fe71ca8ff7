"""Waiting for a human: the per-conversation handoff state and the queues, in Redis.

States: ``bot`` (no key) → ``queued`` → ``with_agent`` → ``closed`` → ``bot``. This module
keeps the queue and tells the citizen where they stand; agents taking conversations
from it is the agent workspace's part.

Keys: ``handoff:state:<conversation>`` (hash), ``handoff:queue:<skill>`` (sorted set of
conversations by the time they joined).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

from channels.redisio import text_map

STATE_TTL_S = 86400
DEFAULT_SKILL = "general"


@dataclass(frozen=True)
class HandoffStatus:
    state: str = "bot"
    position: int | None = None
    message: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def describe(state: str, position: int | None) -> str:
    """What the citizen is told, in plain words."""
    if state == "queued" and position is not None:
        if position <= 1:
            return "已为您排队，您是下一位，人工客服接入后会在这里回复您，请不要离开。"
        return f"已为您排队，前面还有{position - 1}位，人工客服接入后会在这里回复您，请不要离开。"
    if state == "with_agent":
        return "人工客服已接入，正在为您服务。"
    if state == "closed":
        return "人工服务已结束，感谢您的耐心。欢迎为本次服务评价。"
    return ""


def _state_key(conversation: str) -> str:
    return f"handoff:state:{conversation}"


def _queue_key(skill: str) -> str:
    return f"handoff:queue:{skill}"


class HandoffQueue:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def _state(self, conversation: str) -> dict[str, str]:
        return text_map(await self.redis.hgetall(_state_key(conversation)))

    async def enqueue(self, conversation: str, channel: str, reason: str,
                      skill: str = DEFAULT_SKILL) -> HandoffStatus:
        """Join the queue; asking again keeps the place already held."""
        current = await self.status(conversation)
        if current.state in ("queued", "with_agent"):
            return current
        now = time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(_state_key(conversation), mapping={
                "state": "queued", "channel": channel, "reason": reason, "skill": skill,
                "since": repr(now)})
            pipe.expire(_state_key(conversation), STATE_TTL_S)
            pipe.zadd(_queue_key(skill), {conversation: now}, nx=True)
            await pipe.execute()
        return await self.status(conversation)

    async def status(self, conversation: str) -> HandoffStatus:
        state = await self._state(conversation)
        name = state.get("state", "bot")
        position = None
        if name == "queued":
            rank = await self.redis.zrank(_queue_key(state.get("skill", DEFAULT_SKILL)), conversation)
            if rank is None:  # taken off the queue without a state change: treat as ended
                return HandoffStatus()
            position = int(str(rank)) + 1
        return HandoffStatus(name, position, describe(name, position))

    async def cancel(self, conversation: str) -> HandoffStatus:
        state = await self._state(conversation)
        if state.get("state") == "queued":
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(_queue_key(state.get("skill", DEFAULT_SKILL)), conversation)
                pipe.delete(_state_key(conversation))
                await pipe.execute()
        return await self.status(conversation)
