"""One-time codes: 6 digits, stored only as a keyed hash with an expiry, single use.

Limits per number (1 a minute, 5 an hour, 10 a day) and per conversation (5 a day) stop
code-bombing a stranger's phone; 5 wrong entries void the code. Keys hold a pseudonym of
the number, never the number: ``otp:code:<number-pseudonym>``,
``otp:rate:<scope>:<subject>:<window>``.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from redis.asyncio import Redis

from channels.redisio import text_map
from hotline import signing

CODE_TTL_S = 5 * 60
MAX_WRONG = 5
# (window seconds, most codes in it, what the citizen is told)
NUMBER_LIMITS = (
    (60, 1, "验证码已发送，请1分钟后再重新获取。"),
    (3600, 5, "该手机号1小时内获取验证码已达5次，请1小时后再试。"),
    (86400, 10, "该手机号今天获取验证码已达10次，请明天再试，或在工作时间转人工办理。"),
)
CONVERSATION_LIMIT = (86400, 5, "本次会话获取验证码次数过多，请明天再试，或在工作时间转人工办理。")


class CodeLimitError(Exception):
    """Too many codes asked for; the message says when to try again."""


@dataclass(frozen=True)
class Check:
    outcome: str  # ok | wrong | expired | exhausted
    left: int = 0


class OneTimeCodes:
    def __init__(self, redis: Redis, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self._secret = secret
        self._clock = clock

    def _subject(self, phone: str) -> str:
        return signing.pseudonym(self._secret, "otp-phone", phone)

    def _hash(self, subject: str, code: str) -> str:
        return signing.pseudonym(self._secret, "otp-code", subject, code, length=64)

    async def issue(self, phone: str, conversation: str) -> str:
        """A fresh code for ``phone`` (the caller sends it); :class:`CodeLimitError` if over."""
        subject = self._subject(phone)
        now = self._clock()
        limits = [("number", subject, *limit) for limit in NUMBER_LIMITS]
        limits.append(("conversation", conversation, *CONVERSATION_LIMIT))
        for scope, who, window, most, message in limits:
            key = f"otp:rate:{scope}:{who}:{window}:{int(now // window)}"
            if int(await self.redis.get(key) or 0) >= most:
                raise CodeLimitError(message)
        async with self.redis.pipeline(transaction=True) as pipe:
            for scope, who, window, _, _ in limits:
                key = f"otp:rate:{scope}:{who}:{window}:{int(now // window)}"
                pipe.incr(key)
                pipe.expire(key, window * 2)
            code = f"{secrets.randbelow(10**6):06d}"
            pipe.hset(f"otp:code:{subject}", mapping={
                "hash": self._hash(subject, code), "expires": repr(now + CODE_TTL_S), "wrong": "0"})
            pipe.expire(f"otp:code:{subject}", CODE_TTL_S * 2)
            await pipe.execute()
        return code

    async def check(self, phone: str, code: str) -> Check:
        subject = self._subject(phone)
        key = f"otp:code:{subject}"
        stored = text_map(await self.redis.hgetall(key))
        if not stored:
            return Check("expired")
        if float(stored["expires"]) < self._clock():
            await self.redis.delete(key)
            return Check("expired")
        if hmac.compare_digest(stored["hash"], self._hash(subject, code.strip())):
            await self.redis.delete(key)  # single use
            return Check("ok")
        wrong = int(await self.redis.hincrby(key, "wrong", 1))
        if wrong >= MAX_WRONG:
            await self.redis.delete(key)
            return Check("exhausted")
        return Check("wrong", MAX_WRONG - wrong)
