"""Who is behind a conversation: the identity context the gateway holds per conversation.

The stored context has only a pseudonym, masked display values and the assurance level,
sealed with the signing secret so a value written into Redis by anyone else is ignored.
It expires with the level it grants; an expired or tampered one reads as anonymous.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict

from redis.asyncio import Redis

from hotline import signing
from hotline.identity import IdentityContext, anonymous, from_metadata

# A login never outlives this, whatever the portal's token says.
MAX_TTL_S = 30 * 60


def key(conversation: str) -> str:
    return f"identity:conversation:{conversation}"


class IdentityStore:
    def __init__(self, redis: Redis, secret: bytes, default_region: str) -> None:
        self.redis = redis
        self._secret = secret
        self._default_region = default_region

    async def put(self, conversation: str, identity: IdentityContext) -> IdentityContext:
        now = int(time.time())
        expires = min(identity.expires_at or now + MAX_TTL_S, now + MAX_TTL_S)
        identity = IdentityContext(**{**asdict(identity), "expires_at": expires})
        sealed = identity.to_metadata(self._secret)
        await self.redis.set(key(conversation), json.dumps(sealed, ensure_ascii=False),
                             ex=max(1, expires - now))
        return identity

    async def get(self, conversation: str, channel: str) -> IdentityContext:
        raw = await self.redis.get(key(conversation))
        identity = from_metadata(json.loads(raw), self._secret) if raw else None
        if identity is None or (identity.expires_at or 0) <= time.time():
            return anonymous(channel, self._default_region)
        return identity

    async def forget(self, conversation: str) -> None:
        await self.redis.delete(key(conversation))


def person_pseudonym(secret: bytes, id_number: str) -> str:
    """One name per person across every channel: a keyed hash of the 身份证号."""
    return signing.pseudonym(secret, "person", id_number.strip().upper())
