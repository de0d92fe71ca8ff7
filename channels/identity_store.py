"""Who is behind a conversation: the identity context the gateway holds per conversation,
and the person it may be linked to across channels.

Stored contexts hold only pseudonyms, masked display values and the assurance level,
sealed with the signing secret so a value written into Redis by anyone else is ignored.
They expire with the level they grant; an expired or tampered one reads as anonymous.

Keys: ``identity:conversation:<conversation>`` (this conversation's own login or
verification), ``identity:person:<person>`` (the person's current assurance, shared by
every linked channel), ``identity:link:<conversation>`` (a channel bound to a person with
the citizen's consent; removed by 解除绑定).
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
LINK_TTL_S = 180 * 86400


def key(conversation: str) -> str:
    return f"identity:conversation:{conversation}"


class IdentityStore:
    def __init__(self, redis: Redis, secret: bytes, default_region: str) -> None:
        self.redis = redis
        self._secret = secret
        self._default_region = default_region

    async def put(self, conversation: str, identity: IdentityContext) -> IdentityContext:
        """Hold ``identity`` for this conversation and, when it names a person, as that
        person's current assurance for their linked channels."""
        now = int(time.time())
        expires = min(identity.expires_at or now + MAX_TTL_S, now + MAX_TTL_S)
        identity = IdentityContext(**{**asdict(identity), "expires_at": expires})
        sealed = json.dumps(identity.to_metadata(self._secret), ensure_ascii=False)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key(conversation), sealed, ex=max(1, expires - now))
            if identity.person:
                pipe.set(_person_key(identity.person), sealed, ex=max(1, expires - now))
            await pipe.execute()
        return identity

    async def get(self, conversation: str, channel: str) -> IdentityContext:
        own = await self._read(key(conversation))
        if own is not None:
            return own
        link = await self.redis.get(_link_key(conversation))
        shared = await self._read(_person_key(json.loads(link)["person"])) if link else None
        if shared is not None:
            return IdentityContext(**{**asdict(shared), "channels": (channel,)})
        return anonymous(channel, self._default_region)

    async def _read(self, name: str) -> IdentityContext | None:
        raw = await self.redis.get(name)
        identity = from_metadata(json.loads(raw), self._secret) if raw else None
        if identity is None or (identity.expires_at or 0) <= time.time():
            return None
        return identity

    async def link(self, conversation: str, person: str) -> None:
        """Bind this channel to the person (asked for and consented to by the citizen)."""
        record = {"person": person, "consented_at": int(time.time())}
        await self.redis.set(_link_key(conversation), json.dumps(record), ex=LINK_TTL_S)

    async def unlink(self, conversation: str) -> bool:
        """解除绑定: the channel forgets the person, and this conversation its verification."""
        removed = await self.redis.delete(_link_key(conversation), key(conversation))
        return bool(removed)

    async def forget(self, conversation: str) -> None:
        await self.redis.delete(key(conversation))


def _person_key(person: str) -> str:
    return f"identity:person:{person}"


def _link_key(conversation: str) -> str:
    return f"identity:link:{conversation}"


def person_pseudonym(secret: bytes, id_number: str) -> str:
    """One name per person across every channel: a keyed hash of the 身份证号."""
    return signing.pseudonym(secret, "person", id_number.strip().upper())
