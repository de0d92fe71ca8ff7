"""What the WeChat channel keeps in Redis, by conversation pseudonym or message id.

``pii:vault:wechat-openid:<conversation>`` the OpenID, in the personal-data vault
                                   (:class:`channels.pii.Vault`, Fernet with ``HOTLINE_VAULT_KEY``)
                                   for 48 h after the citizen last wrote (the 客服消息 window)
``wechat:choices:<conversation>``  payloads behind the numbers of the last reply (30 min)
``wechat:claim:<message_id>``      who answers a message: ``passive:<unix time>`` (the
                                   callback's own reply) or ``custom`` (客服消息); set once
``wechat:ready:<message_id>``      wakes the callback waiting for this reply
``wechat:voice:<message_id>``      a voice message being heard (``hearing``, briefly, so that
                                   a resend after a crash starts again), then ``heard`` or the
                                   request to type sent when nothing could be heard
``wechat:voice:pending``           hash: voice messages WeChat was told ``success`` for and
                                   that are not yet heard (message, media id); a gateway that
                                   stopped half-way hears them again when it starts
``wechat:undelivered:<conversation>`` replies WeChat refused (45015, 45047 …), for review
"""

from __future__ import annotations

import json
import time

from redis.asyncio import Redis

from channels import pii
from channels.redisio import text

OPENID_TTL_S = 48 * 3600
CHOICES_TTL_S = 30 * 60
CLAIM_TTL_S = 86400
READY_TTL_S = 60
HEARING_TTL_S = 10
PENDING_VOICES = "wechat:voice:pending"
UNDELIVERED_TTL_S = 7 * 86400
UNDELIVERED_KEEP = 50


class WeChatStore:
    def __init__(self, redis: Redis, vault_key: str) -> None:
        self.redis = redis
        self._vault = pii.Vault(redis, pii.fernet_key(vault_key))

    # -- the OpenID behind a conversation ---------------------------------------------

    async def keep_openid(self, conversation: str, openid: str) -> None:
        found = pii.Found("OPENID", openid, _openid_token(conversation))
        await self._vault.keep([found], ttl_s=OPENID_TTL_S)

    async def openid(self, conversation: str) -> str | None:
        return await self._vault.reveal(_openid_token(conversation))

    async def forget(self, conversation: str) -> None:
        await self.redis.delete(f"pii:vault:{_openid_token(conversation)}", f"wechat:choices:{conversation}")

    # -- numbered choices ---------------------------------------------------------------

    async def keep_choices(self, conversation: str, choices: tuple[str, ...]) -> None:
        key = f"wechat:choices:{conversation}"
        if choices:
            await self.redis.set(key, json.dumps(list(choices), ensure_ascii=False), ex=CHOICES_TTL_S)
        else:
            await self.redis.delete(key)  # a later 「1」 must not pick from an older menu

    async def choices(self, conversation: str) -> list[str]:
        raw = await self.redis.get(f"wechat:choices:{conversation}")
        return [str(c) for c in json.loads(raw)] if raw else []

    # -- who answers: the passive reply or the 客服消息 API ----------------------------------

    async def claim(self, message_id: str, how: str) -> bool:
        value = f"passive:{int(time.time())}" if how == "passive" else "custom"
        return bool(await self.redis.set(f"wechat:claim:{message_id}", value, nx=True, ex=CLAIM_TTL_S))

    async def claimed(self, message_id: str) -> tuple[str, float] | None:
        """``("passive", when)`` or ``("custom", 0)``; None while nobody has claimed it."""
        raw = await self.redis.get(f"wechat:claim:{message_id}")
        if not raw:
            return None
        how, _, when = text(raw).partition(":")
        return how, float(when or 0)

    async def wake(self, message_id: str, reply_json: str) -> None:
        key = f"wechat:ready:{message_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, reply_json)
            pipe.expire(key, READY_TTL_S)
            await pipe.execute()

    # -- voice messages heard by our recognizer ---------------------------------------------

    async def start_hearing(self, message_id: str) -> bool:
        """True for the one callback that is to start the recognition."""
        return bool(await self.redis.set(f"wechat:voice:{message_id}", "hearing", nx=True,
                                         ex=HEARING_TTL_S))

    async def remember_voice(self, message_id: str, record: dict[str, object]) -> None:
        await self.redis.hset(PENDING_VOICES, message_id, json.dumps(record))

    async def voice_done(self, message_id: str) -> None:
        await self.redis.hdel(PENDING_VOICES, message_id)

    async def pending_voices(self) -> dict[str, dict[str, object]]:
        found = await self.redis.hgetall(PENDING_VOICES)
        return {text(k): json.loads(v) for k, v in found.items()}

    async def heard(self, message_id: str, unheard_reply: str) -> None:
        await self.redis.set(f"wechat:voice:{message_id}", unheard_reply or "heard", ex=CLAIM_TTL_S)

    async def unheard_reply(self, message_id: str) -> str | None:
        raw = await self.redis.get(f"wechat:voice:{message_id}")
        value = text(raw) if raw else ""
        return value if value.startswith("{") else None

    # -- replies WeChat would not take ----------------------------------------------------

    async def undelivered(self, conversation: str, message_id: str, reason: str) -> None:
        key = f"wechat:undelivered:{conversation}"
        record = json.dumps({"message_id": message_id, "reason": reason, "at": int(time.time())})
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, record)
            pipe.ltrim(key, -UNDELIVERED_KEEP, -1)
            pipe.expire(key, UNDELIVERED_TTL_S)
            await pipe.execute()


def _openid_token(conversation: str) -> str:
    # Not a pii.TOKEN: it never appears in text, so display() never tries to unmask it.
    return f"wechat-openid:{conversation}"
