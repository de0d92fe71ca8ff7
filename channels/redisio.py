"""Small helpers for Redis replies, which are ``str`` or ``bytes`` depending on the client."""

from __future__ import annotations

from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# What a Redis restart or a cut connection raises. redis-py's own errors are not the
# builtin ConnectionError/TimeoutError: catching only those once let a Redis restart
# end the inbound consumer for good (found by tests/integration/test_faults.py).
OUTAGE = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError, TimeoutError)


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def text_map(raw: Any) -> dict[str, str]:
    """A hash reply (``HGETALL``) as ``str`` → ``str``."""
    return {text(k): text(v) for k, v in (raw or {}).items()}
