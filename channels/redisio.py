"""Small helpers for Redis replies, which are ``str`` or ``bytes`` depending on the client."""

from __future__ import annotations

from typing import Any


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def text_map(raw: Any) -> dict[str, str]:
    """A hash reply (``HGETALL``) as ``str`` → ``str``."""
    return {text(k): text(v) for k, v in (raw or {}).items()}
