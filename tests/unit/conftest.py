"""The gateway app with a real Redis and Rasa faked at the HTTP boundary (a MockTransport
that checks the gateway's signature): shared by the web chat API tests."""

from __future__ import annotations

import json
from typing import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from channels.app import create_app
from channels.settings import Settings
from hotline import signing

SECRET = "a" * 64


def settings(redis_url: str) -> Settings:
    return Settings(
        redis_url=redis_url, signing_secret=SECRET, pseudonym_secret="b" * 64, vault_key="c" * 64,
        business_api_token="d" * 32,
        rasa_url="http://rasa.test", actions_url="http://actions.test",
        consumer_name="test", rasa_timeout_s=1.0, reply_wait_s=2.0, retrieval="off",
        analytics_database_url="sqlite://",  # in memory: tests never write into the checkout
    )


class FakeRasa:
    def __init__(self) -> None:
        self.up = True
        self.requests: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("refused", request=request)
        if request.url.path in ("/webhooks/hotline/", "/health"):
            return httpx.Response(200, json={"status": "ok"})
        signing.verify(SECRET.encode(), request.content, request.headers)
        body = json.loads(request.content)
        self.requests.append(body)
        return httpx.Response(200, json={
            "messages": [{"recipient_id": body["sender"], "text": "您好，请问有什么可以帮您？",
                          "buttons": [{"title": "社保卡", "payload": "/faq"}]}],
            "meta": {"intent": "faq", "confidence": 0.97, "faq_id": "card_report_loss"},
        })


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def client(redis_server: str, rasa: FakeRasa) -> Iterator[TestClient]:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server).flushdb()
    app = create_app(settings(redis_server), transport=httpx.MockTransport(rasa))
    with TestClient(app) as test_client:
        yield test_client
