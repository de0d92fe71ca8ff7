"""Request signing between the gateway and the Rasa input channel.

Both environments import this module, so it uses the standard library only.

A signature covers ``"<timestamp>.<raw body>"`` with HMAC-SHA256 under a shared secret.
The verifier fails closed: a missing header, a stale timestamp (outside ``window`` seconds
either way) or a wrong digest are all the same refusal, and digests are compared in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Mapping

TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"
DEFAULT_WINDOW_S = 300


class SignatureError(Exception):
    """The request is not signed by someone holding the shared secret."""


def sign(secret: bytes, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers that authenticate ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: digest}


def verify(
    secret: bytes,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
    window: int = DEFAULT_WINDOW_S,
) -> None:
    """Raise :class:`SignatureError` unless ``headers`` sign ``body`` recently."""
    if not secret:
        raise SignatureError("no signing secret configured")
    ts = _header(headers, TIMESTAMP_HEADER)
    given = _header(headers, SIGNATURE_HEADER)
    if not ts or not given or not ts.isdigit():
        raise SignatureError("missing signature")
    current = time.time() if now is None else now
    if abs(current - int(ts)) > window:
        raise SignatureError("stale timestamp")
    expected = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise SignatureError("bad signature")


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return value or ""


def canonical(data: Mapping[str, Any]) -> bytes:
    """A stable byte form of a JSON object, for signing structured values."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def seal(secret: bytes, data: Mapping[str, Any]) -> str:
    """Signature of a structured value such as the identity context."""
    return hmac.new(secret, canonical(data), hashlib.sha256).hexdigest()


def unseal(secret: bytes, data: Mapping[str, Any], signature: str) -> bool:
    """Whether ``signature`` was made by :func:`seal` over ``data``."""
    if not secret or not signature:
        return False
    return hmac.compare_digest(seal(secret, data), signature)


def pseudonym(secret: bytes, *parts: str, length: int = 32) -> str:
    """A keyed, one-way name for a native id; stable for the same secret."""
    message = "\x1f".join(parts).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:length]
