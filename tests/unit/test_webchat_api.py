"""The web chat API with the real gateway app and a real Redis; Rasa is replaced at the
HTTP boundary by a MockTransport that checks the gateway's signature."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hotline.identity import from_metadata
from tests.unit.conftest import SECRET, FakeRasa


def test_reply_has_the_documented_shape(client: TestClient, rasa: FakeRasa) -> None:
    response = client.post("/api/v1/webchat/messages", json={"session_id": "s1", "text": "社保卡丢了"})
    assert response.status_code == 200
    body = response.json()
    assert body["session_id"] == "s1"
    assert body["messages"][0]["text"].startswith("您好")
    assert body["messages"][0]["buttons"] == [{"title": "社保卡", "payload": "/faq"}]
    assert body["meta"] == {"intent": "faq", "confidence": 0.97, "topic": "card",
                            "faq_id": "card_report_loss", "handoff": False,
                            "handoff_status": None}


def test_rasa_sees_a_pseudonym_and_a_sealed_identity(client: TestClient, rasa: FakeRasa) -> None:
    client.post("/api/v1/webchat/messages", json={"session_id": "s1", "text": "你好"})
    sent = rasa.requests[0]
    assert sent["sender"] != "s1" and len(sent["sender"]) == 32
    identity = from_metadata(sent["metadata"], SECRET.encode())
    assert identity is not None and identity.level == "anonymous"
    assert sent["metadata"]["channel"] == "webchat"


def test_same_message_id_is_answered_once(client: TestClient, rasa: FakeRasa) -> None:
    body = {"session_id": "s1", "text": "你好", "message_id": "m-1"}
    first = client.post("/api/v1/webchat/messages", json=body).json()
    second = client.post("/api/v1/webchat/messages", json=body).json()
    assert len(rasa.requests) == 1
    assert first["messages"] == second["messages"]


def test_rasa_down_gives_a_polite_answer_and_503_health(client: TestClient, rasa: FakeRasa) -> None:
    rasa.up = False
    response = client.post("/api/v1/webchat/messages", json={"session_id": "s1", "text": "你好"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "deferred"
    assert "12333" in body["messages"][0]["text"]
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["components"]["rasa"]["status"] == "down"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"session_id": "s1"}, "不能为空"),
        ({"session_id": "s1", "text": "   "}, "不能为空"),
        ({"session_id": "有空格 的id", "text": "你好"}, "session_id"),
        ({"text": "你好"}, "session_id"),
        ({"session_id": "s1", "text": "长" * 501}, "最多500字"),
        ({"session_id": "s1", "text": "长" * 6000}, "text"),
    ],
)
def test_bad_requests_get_a_clear_chinese_error(client: TestClient, body: dict, needle: str) -> None:
    response = client.post("/api/v1/webchat/messages", json=body)
    assert 400 <= response.status_code < 500
    assert needle in response.json()["error"]
    assert "Traceback" not in response.text


def test_malformed_json_is_refused_cleanly(client: TestClient) -> None:
    response = client.post("/api/v1/webchat/messages", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "请求格式不正确" in response.json()["error"]


def test_late_replies_can_be_fetched(client: TestClient) -> None:
    client.post("/api/v1/webchat/messages", json={"session_id": "s1", "text": "你好", "message_id": "m-9"})
    replies = client.get("/api/v1/webchat/messages", params={"session_id": "s1"}).json()["replies"]
    assert [r["message_id"] for r in replies] == ["m-9"]
    assert client.get("/api/v1/webchat/messages", params={"session_id": "s2"}).json()["replies"] == []


def test_metrics_count_turns(client: TestClient) -> None:
    client.post("/api/v1/webchat/messages", json={"session_id": "s1", "text": "你好"})
    text = client.get("/metrics").text
    assert 'hotline_inbound_messages_total{channel="webchat"}' in text
    assert 'hotline_turns_total{channel="webchat",outcome="answered"}' in text


def test_demo_page_embeds_the_widget_with_one_tag(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.text.count('<script src="/widget.js"') == 1 and "在线咨询" in page.text
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and widget.headers["content-type"].startswith("application/javascript")
    assert "/api/v1/webchat/ws" in widget.text
