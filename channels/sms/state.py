"""What the gateway remembers about an SMS conversation, in Redis, keyed by its pseudonym.

* The number to answer, encrypted in the personal-data vault for a day
  (``pii:vault:SMSREPLY_<hash>``): the inbound stream and Rasa carry only the
  conversation pseudonym, and the reply is sent long after the webhook returned.
* The options of the last reply (``sms:options:<conversation>``, 30 minutes), so that a
  citizen can answer "2" instead of typing the question again.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from channels.pii import Found, Vault
from hotline.signing import pseudonym

PHONE_TTL_S = 86400
OPTIONS_TTL_S = 30 * 60


def reply_token(secret: bytes, conversation: str) -> str:
    return f"SMSREPLY_{pseudonym(secret, 'sms-reply', conversation, length=24)}"


async def remember_phone(vault: Vault, secret: bytes, conversation: str, phone: str) -> None:
    await vault.keep([Found("PHONE", phone, reply_token(secret, conversation))], ttl_s=PHONE_TTL_S)


async def phone_for(vault: Vault, secret: bytes, conversation: str) -> str | None:
    return await vault.reveal(reply_token(secret, conversation))


def _options_key(conversation: str) -> str:
    return f"sms:options:{conversation}"


async def remember_options(redis: Redis, conversation: str, payloads: list[str]) -> None:
    """The payloads the numbers 1, 2, … of the last reply stand for (none: forget them)."""
    if payloads:
        await redis.set(_options_key(conversation), json.dumps(payloads, ensure_ascii=False),
                        ex=OPTIONS_TTL_S)
    else:
        await redis.delete(_options_key(conversation))


async def option(redis: Redis, conversation: str, number: int) -> str | None:
    raw = await redis.get(_options_key(conversation))
    if not raw:
        return None
    payloads = json.loads(raw)
    return str(payloads[number - 1]) if 1 <= number <= len(payloads) else None
