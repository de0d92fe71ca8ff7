"""Is this request really from WeChat, and is it safe to parse?

WeChat signs every callback with ``signature = sha1(sort(token, timestamp, nonce))`` and,
in compatible and safe mode, the ciphertext as well: ``msg_signature = sha1(sort(token,
timestamp, nonce, Encrypt))``. The plaintext ``signature`` does not cover the body, so a
captured request could be replayed with another body: hence the timestamp window and the
nonce cache (``wechat:nonce:<nonce>``, holding a digest of the body it came with).

Signatures are computed with wechatpy's signer and compared in constant time here
(wechatpy's own checks use ``!=``). XML is screened before anything parses it.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from redis.asyncio import Redis
from wechatpy.utils import WeChatSigner

from channels.wechat.errors import (
    MalformedRequestError,
    OversizeError,
    ReplayError,
    SignatureError,
    StaleRequestError,
)

WINDOW_S = 300
# A text message is a few hundred bytes; safe mode triples it. 64 KiB is far beyond
# anything WeChat sends and small enough to refuse unread.
MAX_BODY = 64 * 1024
NONCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TIMESTAMP = re.compile(r"^\d{1,12}$")
# A DTD is how entity expansion ("billion laughs") and external entities get in; WeChat
# never sends one. Matched on bytes, before decoding, in any case.
_HOSTILE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def signature(token: str, *parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, *parts)
    return str(signer.signature)


def check_signature(expected_over: tuple[str, ...], token: str, given: str) -> None:
    """Fail closed unless ``given`` is the signature of ``expected_over`` under ``token``."""
    computed = signature(token, *expected_over)
    if not given or not hmac.compare_digest(computed.encode(), given.strip().lower().encode()):
        raise SignatureError()


def check_params(timestamp: str, nonce: str) -> None:
    if not TIMESTAMP.match(timestamp or "") or not NONCE.match(nonce or ""):
        raise MalformedRequestError()


def check_timestamp(timestamp: str, now: float, window_s: int = WINDOW_S) -> None:
    if not TIMESTAMP.match(timestamp or "") or abs(now - int(timestamp)) > window_s:
        raise StaleRequestError()


def screen_xml(body: bytes, limit: int = MAX_BODY) -> str:
    """``body`` as text when it is small, UTF-8 and carries no DTD; else refuse it."""
    if len(body) > limit:
        raise OversizeError()
    if _HOSTILE.search(body):
        raise MalformedRequestError()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequestError() from exc


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


class NonceCache:
    """Each nonce once per window. The same nonce with the very same body is WeChat
    resending one request (or a replay of it, harmless: messages are deduplicated by
    MsgId); the same nonce with another body is a forgery on a captured signature."""

    def __init__(self, redis: Redis, window_s: int = WINDOW_S) -> None:
        self.redis = redis
        self.window_s = window_s

    async def check(self, nonce: str, body: bytes) -> bool:
        """True when the request is new, False when it is a verbatim resend."""
        key = f"wechat:nonce:{nonce}"
        digest = body_digest(body)
        # Twice the window: a timestamp may be up to a window early or late.
        if await self.redis.set(key, digest, nx=True, ex=2 * self.window_s):
            return True
        seen = await self.redis.get(key)
        seen_text = seen.decode() if isinstance(seen, bytes) else str(seen or "")
        if hmac.compare_digest(seen_text.encode(), digest.encode()):
            return False
        raise ReplayError()
