"""The gateway's /healthz reports the business system, and stays 200 without it: the
bot still answers policy questions when only the business system is down."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from channels.app import create_app
from tests.unit.conftest import FakeRasa, settings


def test_business_down_is_reported_but_not_critical(redis_server: str) -> None:
    rasa = FakeRasa()

    def network(request: httpx.Request) -> httpx.Response:
        if request.url.host == "business.test":
            raise httpx.ConnectError("refused", request=request)
        return rasa(request)

    config = settings(redis_server).model_copy(update={"business_url": "http://business.test"})
    with TestClient(create_app(config, transport=httpx.MockTransport(network))) as client:
        health = client.get("/healthz")
    assert health.status_code == 200
    components = health.json()["components"]
    assert components["business"] == {"status": "down", "error": "ConnectError"}
    assert components["rasa"]["status"] == "ok"
