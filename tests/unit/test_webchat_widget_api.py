"""What the widget relies on beyond one POST: the WebSocket, portal login, the handoff
queue, ratings and the abuse limits — real gateway app, real Redis, Rasa faked at HTTP."""

from __future__ import annotations

import json
import time
from typing import Any, Iterator

import httpx
import jwt
import pytest
import redis as sync_redis
from fastapi.testclient import TestClient
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.websockets import WebSocketDisconnect

from channels.app import create_app
from hotline.identity import from_metadata
from tests.unit.conftest import SECRET, FakeRasa, settings

JWT_KEY = "portal-shared-key-for-tests-0123456789"
ID_NUMBER = "11010519491231002X"  # the GB 11643 standard's own example


class HandoffRasa(FakeRasa):
    """Answers 转人工 with the action server's handoff payload, inside agent hours."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = super().__call__(request)
        if request.url.path.endswith("/webhook") and self.requests[-1]["text"] == "/request_human":
            sender = self.requests[-1]["sender"]
            return httpx.Response(200, json={
                "messages": [{"recipient_id": sender, "text": "好的，正在为您转接人工客服，请稍候。",
                              "custom": {"type": "handoff", "reason": "citizen_request",
                                         "identity_level": "anonymous", "within_hours": True}}],
                "meta": {"intent": "request_human", "confidence": 0.99},
            })
        return response


@pytest.fixture
def rasa() -> HandoffRasa:
    return HandoffRasa()


def _client(redis_url: str, rasa: FakeRasa, **overrides: Any) -> TestClient:
    sync_redis.Redis.from_url(redis_url).flushdb()
    values = settings(redis_url).model_dump()
    values.update(overrides)
    config = type(settings(redis_url))(**values)
    return TestClient(create_app(config, transport=httpx.MockTransport(rasa)))


@pytest.fixture
def client(redis_server: str, rasa: HandoffRasa) -> Iterator[TestClient]:
    with _client(redis_server, rasa, webchat_jwt_key=JWT_KEY, retry_idle_s=0.5) as test_client:
        yield test_client


def _token(**claims: Any) -> str:
    body = {"sub": "portal-user-42", "aud": "12333-webchat", "exp": int(time.time()) + 600,
            "level": "verified", "name": "张三丰", "id_number": ID_NUMBER, "region": "广东省"}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, JWT_KEY, algorithm="HS256")


def _frames_until(ws: Any, kind: str, limit: int = 10) -> list[dict[str, Any]]:
    frames = []
    for _ in range(limit):
        frames.append(ws.receive_json())
        if frames[-1]["type"] == kind:
            return frames
    raise AssertionError(f"no {kind} frame in {frames}")


# -- WebSocket ---------------------------------------------------------------------------


def test_socket_answers_with_typing_then_the_rest_shape(client: TestClient) -> None:
    with client.websocket_connect("/api/v1/webchat/ws?session_id=w1") as ws:
        assert ws.receive_json() == {"type": "ready", "session_id": "w1"}
        ws.send_json({"type": "message", "message_id": "m1", "text": "社保卡丢了"})
        assert ws.receive_json() == {"type": "typing", "message_id": "m1"}
        reply = ws.receive_json()
        assert reply["type"] == "reply" and reply["message_id"] == "m1"
        assert reply["status"] == "answered" and reply["session_id"] == "w1"
        assert reply["messages"][0]["buttons"] == [{"title": "社保卡", "payload": "/faq"}]
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_socket_refusals_keep_the_connection_open(client: TestClient) -> None:
    with client.websocket_connect("/api/v1/webchat/ws?session_id=w1") as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "message_id": "m1", "text": "长" * 501})
        error = ws.receive_json()
        assert error["type"] == "error" and "500字" in error["error"] and error["message_id"] == "m1"
        ws.send_text("{not json")
        assert "格式" in ws.receive_json()["error"]
        ws.send_json({"type": "message", "message_id": "m2", "text": "你好"})
        assert _frames_until(ws, "reply")[-1]["message_id"] == "m2"


def test_binary_frame_is_refused_and_the_socket_stays_open(client: TestClient) -> None:
    with client.websocket_connect("/api/v1/webchat/ws?session_id=w1") as ws:
        ws.receive_json()
        ws.send_bytes(b"\x00\xff")
        assert ws.receive_json() == {"type": "error", "error": "消息格式不正确。"}
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_store_timeout_on_a_frame_is_told_and_the_socket_stays_open(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Redis timeout while accepting used to drop the socket without a close frame (1006)
    and without a log line: FastAPI's HTTP error handler swallowed it (seen in the soak)."""
    stream = client.app.state.services.stream  # type: ignore[attr-defined]
    accept = stream.accept

    async def timing_out(message: Any) -> bool:
        raise RedisTimeoutError("Timeout reading from socket")

    with client.websocket_connect("/api/v1/webchat/ws?session_id=w1") as ws:
        ws.receive_json()
        monkeypatch.setattr(stream, "accept", timing_out)
        ws.send_json({"type": "message", "message_id": "m1", "text": "社保卡丢了"})
        error = ws.receive_json()
        assert error == {"type": "error", "message_id": "m1",
                         "error": "系统正在恢复，您的消息未能送达，请稍后重新发送。如问题紧急，可拨打12333。"}
        monkeypatch.setattr(stream, "accept", accept)
        ws.send_json({"type": "message", "message_id": "m1", "text": "社保卡丢了"})
        reply = _frames_until(ws, "reply")[-1]
        assert reply["message_id"] == "m1" and reply["status"] == "answered"


def test_accepted_message_gets_the_holding_answer_when_the_wait_fails(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once in the stream the message will be answered: "send it again" would be wrong."""
    stream = client.app.state.services.stream  # type: ignore[attr-defined]

    async def timing_out(message: Any, timeout_s: float) -> None:
        raise RedisTimeoutError("Timeout reading from socket")

    monkeypatch.setattr(stream, "wait_reply", timing_out)
    response = client.post("/api/v1/webchat/messages",
                           json={"session_id": "h1", "message_id": "m1", "text": "你好"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "deferred" and "已经收到" in body["messages"][0]["text"]


def test_late_answer_is_pushed_to_the_open_socket(client: TestClient, rasa: HandoffRasa) -> None:
    rasa.up = False
    with client.websocket_connect("/api/v1/webchat/ws?session_id=w1") as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "message_id": "m1", "text": "你好"})
        deferred = _frames_until(ws, "reply")[-1]
        assert deferred["status"] == "deferred" and "12333" in deferred["messages"][0]["text"]
        rasa.up = True  # the stream retries after retry_idle_s
        answered = _frames_until(ws, "reply")[-1]
        assert answered["message_id"] == "m1" and answered["status"] == "answered"


@pytest.mark.parametrize(("origin", "allowed"), [
    ("https://evil.example", False), ("http://127.0.0.1:8000", True), (None, True)])
def test_origin_allow_list(client: TestClient, origin: str | None, allowed: bool) -> None:
    headers = {"Origin": origin} if origin else {}
    response = client.post("/api/v1/webchat/messages", json={"session_id": "o1", "text": "你好"},
                           headers=headers)
    assert (response.status_code == 200) is allowed
    if not allowed:
        assert response.status_code == 403 and "未获授权" in response.json()["error"]
        with pytest.raises(WebSocketDisconnect) as closed, \
                client.websocket_connect("/api/v1/webchat/ws?session_id=o1", headers=headers) as ws:
            ws.receive_json()
        assert closed.value.code == 1008


def test_rate_limit_per_session_says_what_to_do(redis_server: str, rasa: HandoffRasa) -> None:
    with _client(redis_server, rasa, webchat_rate_session=3) as client:
        for n in range(3):
            ok = client.post("/api/v1/webchat/messages", json={"session_id": "r1", "text": f"问题{n}"})
            assert ok.status_code == 200
        refused = client.post("/api/v1/webchat/messages", json={"session_id": "r1", "text": "再问"})
        assert refused.status_code == 429 and "一分钟" in refused.json()["error"]
        other = client.post("/api/v1/webchat/messages", json={"session_id": "r2", "text": "你好"})
        assert other.status_code == 200
        keys = [k.decode() for k in sync_redis.Redis.from_url(redis_server).keys("ratelimit:*")]
        assert keys and not any("r1" in k or "testclient" in k for k in keys)


def test_rate_limit_per_address_covers_all_sessions(redis_server: str, rasa: HandoffRasa) -> None:
    with _client(redis_server, rasa, webchat_rate_ip=2) as client:
        codes = [client.post("/api/v1/webchat/messages", json={"session_id": f"a{n}", "text": "你好"})
                 .status_code for n in range(3)]
    assert codes == [200, 200, 429]


# -- portal login ----------------------------------------------------------------------------


def test_portal_login_starts_the_citizen_at_their_level(client: TestClient, rasa: HandoffRasa) -> None:
    response = client.post("/api/v1/webchat/login", json={"session_id": "p1"},
                           headers={"Authorization": f"Bearer {_token()}"})
    assert response.status_code == 200
    assert response.json()["level"] == "verified" and response.json()["display_name"] == "张**"
    client.post("/api/v1/webchat/messages", json={"session_id": "p1", "text": "我的养老金"})
    identity = from_metadata(rasa.requests[-1]["metadata"], SECRET.encode())
    assert identity is not None and identity.level == "verified"
    assert identity.region == "广东省" and identity.id_number == "110***********002X"
    sent = json.dumps(rasa.requests[-1], ensure_ascii=False)
    assert ID_NUMBER not in sent and "张三丰" not in sent and "portal-user-42" not in sent
    stored = sync_redis.Redis.from_url(client.app.state.services.settings.redis_url
                                       .get_secret_value())
    for key in stored.keys("*"):
        assert ID_NUMBER.encode() not in key
        if stored.type(key) == b"string":
            assert ID_NUMBER.encode() not in (stored.get(key) or b"")


@pytest.mark.parametrize("token", [
    _token(exp=int(time.time()) - 10),                       # expired
    _token(id_number="110105194912310021"),                  # wrong check digit
    _token(level="superuser"),                               # not a level a portal may grant
    _token(aud="another-service"),
    jwt.encode({"sub": "x", "aud": "12333-webchat", "exp": int(time.time()) + 60, "level": "verified"},
               "someone-elses-key-0123456789abcdef", algorithm="HS256"),
    "not-a-jwt",
])
def test_bad_portal_tokens_are_refused_in_chinese(client: TestClient, token: str) -> None:
    response = client.post("/api/v1/webchat/login", json={"session_id": "p1"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "重新登录" in response.json()["error"]


def test_login_without_a_configured_key_says_so(redis_server: str, rasa: HandoffRasa) -> None:
    with _client(redis_server, rasa) as client:
        response = client.post("/api/v1/webchat/login", json={"session_id": "p1"},
                               headers={"Authorization": f"Bearer {_token()}"})
    assert response.status_code == 401 and "未开通" in response.json()["error"]


# -- handoff queue and rating --------------------------------------------------------------


def test_asking_for_a_human_queues_with_a_position(client: TestClient) -> None:
    def ask(session: str) -> dict[str, Any]:
        body = client.post("/api/v1/webchat/messages",
                           json={"session_id": session, "payload": "/request_human"}).json()
        return dict(body["meta"]["handoff_status"])

    # No agent on duty yet: the estimate uses one agent and the default 5-minute handling time.
    assert ask("h1") == {"state": "queued", "position": 1, "wait_min": 5,
                         "message": "已为您排队，您是下一位，预计等待约5分钟。"
                                    "人工客服接入后会在这里回复您，请不要离开。"}
    second = ask("h2")
    assert second["position"] == 2 and "前面还有1位" in second["message"]
    assert second["wait_min"] == 10 and "预计等待约10分钟" in second["message"]
    assert ask("h1")["position"] == 1  # asking again keeps the place
    left = client.delete("/api/v1/webchat/handoff", params={"session_id": "h1"}).json()
    assert left["state"] == "bot"
    assert client.get("/api/v1/webchat/handoff", params={"session_id": "h2"}).json()["position"] == 1


def test_rating_is_recorded_without_the_session_id(client: TestClient, redis_server: str) -> None:
    response = client.post("/api/v1/webchat/rating",
                           json={"session_id": "s9", "score": 5, "comment": "电话13812345678回访"})
    assert response.status_code == 200 and "感谢" in response.json()["message"]
    entries = sync_redis.Redis.from_url(redis_server, decode_responses=True).xrange("events:satisfaction")
    assert len(entries) == 1
    fields = entries[0][1]
    assert fields["score"] == "5" and fields["conversation"] != "s9"
    assert "13812345678" not in fields["comment"]
    assert client.post("/api/v1/webchat/rating", json={"session_id": "s9", "score": 6}).status_code == 422


def test_openapi_documents_the_conversation_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/webchat/messages", "/api/v1/webchat/login", "/api/v1/webchat/handoff",
                 "/api/v1/webchat/rating"):
        assert path in spec["paths"]
    assert "429" in spec["paths"]["/api/v1/webchat/messages"]["post"]["responses"]
    assert client.get("/docs").status_code == 404  # no CDN-loaded Swagger UI
