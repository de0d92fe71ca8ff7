"""Component health for ``/healthz``: each check answers in about a second at most."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

import httpx
from redis.asyncio import Redis

CRITICAL = frozenset({"redis", "rasa"})
CHECK_TIMEOUT_S = 1.5

Check = Callable[[], Awaitable[None]]


def redis_check(redis: Redis) -> Check:
    async def check() -> None:
        await redis.ping()

    return check


def http_check(http: httpx.AsyncClient, url: str) -> Check:
    async def check() -> None:
        response = await http.get(url, timeout=CHECK_TIMEOUT_S)
        response.raise_for_status()

    return check


async def report(checks: dict[str, Check]) -> tuple[bool, dict[str, Any]]:
    names = list(checks)
    results = await asyncio.gather(*(_run(checks[name]) for name in names))
    components = dict(zip(names, results, strict=True))
    healthy = all(components[name]["status"] == "ok" for name in names if name in CRITICAL)
    return healthy, {"status": "ok" if healthy else "unavailable", "components": components}


async def _run(check: Check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure is "down"; the type is enough for an operator
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
