"""The gateway's voice door: signed turns from the voice service, answers to be spoken."""

from __future__ import annotations

import json
from typing import Iterator

import httpx
import pytest
import redis as sync_redis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from channels.adapters.voice import VoiceAdapter
from channels.app import create_app
from channels.inbound import BotReply
from channels.routes.voice import TurnIn
from hotline import signing
from tests.unit.conftest import SECRET, FakeRasa, settings
from tests.unit.test_handoff import AGENT_PASSWORD, HandoffRasa, login, waiting


def _post(client: TestClient, body: dict[str, str], secret: str = SECRET) -> tuple[int, dict]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    response = client.post("/api/v1/voice/turns", content=raw,
                           headers={"Content-Type": "application/json", **signing.sign(secret.encode(), raw)})
    return response.status_code, response.json()


def test_a_turn_is_answered_for_speaking(client: TestClient, rasa: FakeRasa) -> None:
    status, body = _post(client, {"call_id": "call-1@pbx", "message_id": "m1", "text": "社保卡丢了"})
    assert status == 200
    # The buttons of the web answer are read out as options; nothing to click on a phone.
    assert body["text"] == "您好，请问有什么可以帮您？您可以说：社保卡。"
    assert body["meta"]["intent"] == "faq" and body["handoff"] is False
    sent = rasa.requests[0]
    assert sent["metadata"]["channel"] == "voice" and sent["text"] == "社保卡丢了"
    # The call id stays here: Rasa sees the pseudonym, which is also the transfer context id.
    assert sent["sender"] == body["conversation"] != "call-1@pbx"
    assert body["conversation"] == VoiceAdapter.conversation(b"b" * 64, "call-1@pbx")


def test_unsigned_or_forged_turns_are_refused(client: TestClient, rasa: FakeRasa) -> None:
    raw = json.dumps({"call_id": "c", "message_id": "m", "text": "你好"}).encode()
    assert client.post("/api/v1/voice/turns", content=raw).status_code == 401
    status, _ = _post(client, {"call_id": "c", "message_id": "m", "text": "你好"}, secret="x" * 64)
    assert status == 401
    assert rasa.requests == []


def test_handoff_transfers_only_within_agents_hours() -> None:
    adapter = VoiceAdapter()
    asked = {"custom": {"type": "handoff", "reason": "request_human", "within_hours": True}}
    closed = {"custom": {"type": "handoff", "reason": "request_human", "within_hours": False}}
    assert adapter.render(BotReply("m", [{"text": "正在为您转人工。"}, asked], {"handoff": True})).handoff
    spoken = adapter.render(BotReply("m", [{"text": "现在是非工作时间，可以为您登记回电。"}, closed],
                                     {"handoff": True}))
    assert not spoken.handoff and spoken.text == "现在是非工作时间，可以为您登记回电。"


def test_spoken_answers_drop_links_and_stay_short() -> None:
    long = "办理社保卡请携带身份证到就近网点办理。" * 20
    reply = BotReply("m", [{"text": "详见 https://example.gov.cn/a 。" + long}], {"handoff": True})
    spoken = VoiceAdapter().render(reply)
    assert "http" not in spoken.text and spoken.handoff
    assert len(spoken.text) <= 160 and spoken.text.endswith("。")


class KeypadRasa(HandoffRasa):
    """Also answers the keypad's /request_human payload with the typed handoff."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/webhook") and json.loads(request.content)["text"] == "/request_human":
            signing.verify(SECRET.encode(), request.content, request.headers)
            self.turns.append("/request_human")
            return httpx.Response(200, json={
                "messages": [{"text": "好的，正在为您转接人工客服，请稍候。",
                              "custom": {"type": "handoff", "reason": "citizen_request",
                                         "within_hours": True}}],
                "meta": {"intent": "request_human", "confidence": 1.0}})
        return super().__call__(request)


@pytest.fixture
def desk(redis_server: str) -> Iterator[tuple[TestClient, KeypadRasa]]:
    sync_redis.Redis.from_url(redis_server).flushdb()
    rasa = KeypadRasa()
    config = settings(redis_server).model_copy(update={"staff_agent_password": SecretStr(AGENT_PASSWORD)})
    with TestClient(create_app(config, transport=httpx.MockTransport(rasa))) as test_client:
        yield test_client, rasa


def test_keypad_zero_queues_the_call_for_the_agents_with_channel_voice(
        desk: tuple[TestClient, KeypadRasa]) -> None:
    client, rasa = desk
    status, body = _post(client, {"call_id": "call-9@pbx", "message_id": "m9", "text": "",
                                  "payload": "/request_human"})
    assert status == 200 and body["handoff"] is True
    assert rasa.turns == ["/request_human"]
    # The queue position is spoken once, not twice.
    assert body["text"].startswith("好的，正在为您转接人工客服，请稍候。")
    assert body["text"].count("已为您排队") == 1, body["text"]
    assert "回复" not in body["text"]   # a caller being transferred has nothing to reply to
    login(client)
    queued = [w for w in waiting(client) if w["conversation"] == body["conversation"]]
    assert queued and queued[0]["channel"] == "voice", waiting(client)


def test_only_intent_payloads_are_accepted() -> None:
    with pytest.raises(ValueError):
        TurnIn.model_validate({"call_id": "c", "message_id": "m", "payload": "身份证110105194912310021"})
