"""Replies kept for a web chat session, so a reply that was late (the dialogue engine
was busy, or the gateway restarted) still reaches the citizen's widget."""

from __future__ import annotations

from redis.asyncio import Redis

from channels.inbound import BotReply, InboundMessage

KEEP = 200
TTL_S = 7 * 86400


def key(conversation: str) -> str:
    return f"webchat:outbox:{conversation}"


async def deliver(redis: Redis, message: InboundMessage, reply: BotReply) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.rpush(key(message.conversation), reply.to_json())
        pipe.ltrim(key(message.conversation), -KEEP, -1)
        pipe.expire(key(message.conversation), TTL_S)
        await pipe.execute()


async def replies(redis: Redis, conversation: str) -> list[BotReply]:
    return [BotReply.from_json(raw) for raw in await redis.lrange(key(conversation), 0, -1)]
