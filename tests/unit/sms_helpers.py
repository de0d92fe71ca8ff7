"""Shared by the SMS tests: the fake provider app in process, reached through httpx."""

from __future__ import annotations

from typing import Any

import httpx
from redis.asyncio import Redis

from channels.sms.downlink import QuietHours, SmsDownlink
from channels.sms.senders import SENDERS, Credentials
from fakes import sms_gateway

PHONE = "13800138000"
PSEUDONYMS = b"b" * 64
SEALING = b"0" * 43 + b"="
KEYS = {"aliyun": Credentials("LTAI-test", "aliyun-secret", "12333", "SMS_1"),
        "tencent": Credentials("AKID-test", "tencent-secret", "12333", "1110", "1400006666"),
        "generic": Credentials()}


class HostRouter(httpx.AsyncBaseTransport):
    """One transport per host name, as if each were its own server."""

    def __init__(self, routes: dict[str, httpx.AsyncBaseTransport]) -> None:
        self.routes = routes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.routes[request.url.host].handle_async_request(request)


def fake_provider(**config: Any) -> Any:
    """The fake SMS provider app, knowing the test keys of every provider."""
    settings = sms_gateway.Config(access_key_id="LTAI-test", access_key_secret="aliyun-secret",
                                  secret_id="AKID-test", secret_key="tencent-secret", auto_report=False)
    for name, value in config.items():
        setattr(settings, name, value)
    return sms_gateway.create_app(settings)


def downlink(redis: Redis, fake: Any, provider: str = "generic", credentials: Credentials | None = None,
             transport: httpx.AsyncBaseTransport | None = None, **options: Any) -> SmsDownlink:
    if provider == "generic" and credentials is None:
        credentials = Credentials(secret=fake.state.config.access_key_secret)
    http = httpx.AsyncClient(transport=transport or httpx.ASGITransport(app=fake))
    sender = SENDERS[provider](http, "http://sms.test", credentials or KEYS[provider])
    options = {"backoff_s": 0.0, "quiet": QuietHours(0, 0), **options}
    return SmsDownlink(sender, redis, pseudonym_secret=PSEUDONYMS, sealing_key=SEALING, **options)


def messages(fake: Any, phone: str = PHONE) -> list[dict[str, Any]]:
    return [m for m in fake.state.store.messages if m["phone"] == phone]
