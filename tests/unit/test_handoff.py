"""Human handoff through the gateway: a real Redis, Rasa faked at its HTTP boundary.

The citizen side goes through the public web chat API; the agent side through the
workspace API with a real login, session cookie and CSRF token.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Iterator

import httpx
import pytest
import redis as sync_redis
from fastapi.testclient import TestClient
from pydantic import SecretStr
from redis.asyncio import Redis

from channels.app import create_app
from channels.dialogue import RasaClient
from channels.handoff import HandoffError, HandoffQueue
from channels.human import HumanDesk
from channels.inbound import BotReply, InboundMessage
from hotline import signing
from hotline.identity import IdentityContext
from tests.unit.conftest import SECRET, settings

AGENT_PASSWORD = "agent-pass-1"
SUPERVISOR_PASSWORD = "boss-pass-1"


class HandoffRasa:
    """Answers 转人工 with the typed handoff payload, anything else with an FAQ answer,
    and records the pause/resume marks and context requests."""

    def __init__(self) -> None:
        self.turns: list[str] = []
        self.controls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path in ("/webhooks/hotline/", "/health"):
            return httpx.Response(200, json={"status": "ok"})
        signing.verify(SECRET.encode(), request.content, request.headers)
        body = json.loads(request.content)
        if request.url.path.endswith("/control"):
            self.controls.append(body["event"])
            return httpx.Response(200, json={"paused": body["event"] == "pause"})
        if request.url.path.endswith("/context"):
            return httpx.Response(200, json={
                "transcript": [{"who": "citizen", "text": "转人工", "at": 1.0, "intent": "request_human"}],
                "slots": {"topic": "card"}, "intent": "request_human", "paused": True})
        self.turns.append(body["text"])
        if body["text"] in ("人工（动作服务器停了）", "查进度（动作服务器停了）"):
            # The action failed: Rasa understood and says nothing.
            intent = "request_human" if body["text"].startswith("人工") else "query_progress"
            return httpx.Response(200, json={"messages": [], "meta": {"intent": intent, "confidence": 0.99}})
        if body["text"] == "转人工":
            return httpx.Response(200, json={
                "messages": [{"text": "好的，正在为您转接人工客服，请稍候。",
                              "custom": {"type": "handoff", "reason": "citizen_request",
                                         "within_hours": True}}],
                "meta": {"intent": "request_human", "confidence": 0.99}})
        return httpx.Response(200, json={
            "messages": [{"text": "社保卡挂失可拨打12333。"}],
            "meta": {"intent": "faq", "confidence": 0.97, "faq_id": "card_report_loss"}})


@pytest.fixture
def rasa() -> HandoffRasa:
    return HandoffRasa()


@pytest.fixture
def client(redis_server: str, rasa: HandoffRasa) -> Iterator[TestClient]:
    sync_redis.Redis.from_url(redis_server).flushdb()
    config = settings(redis_server).model_copy(update={
        "staff_agent_password": SecretStr(AGENT_PASSWORD),
        "staff_supervisor_password": SecretStr(SUPERVISOR_PASSWORD)})
    app = create_app(config, transport=httpx.MockTransport(rasa))
    with TestClient(app) as test_client:
        yield test_client


def say(client: TestClient, text: str, session: str = "citizen-1") -> dict:
    response = client.post("/api/v1/webchat/messages", json={"session_id": session, "text": text})
    assert response.status_code == 200, response.text
    return dict(response.json())


def login(client: TestClient, username: str = "agent", password: str = AGENT_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/agent/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf"]}


def replies(client: TestClient, session: str = "citizen-1") -> list[dict]:
    response = client.get("/api/v1/webchat/messages", params={"session_id": session})
    return list(response.json()["replies"])


def waiting(client: TestClient) -> list[dict]:
    return list(client.get("/api/v1/agent/queue").json()["waiting"])


def test_agent_apis_refuse_anonymous_callers_and_bad_passwords(client: TestClient) -> None:
    assert client.get("/api/v1/agent/queue").status_code == 401
    assert "登录" in client.get("/api/v1/agent/queue").json()["error"]
    wrong = client.post("/api/v1/agent/login", json={"username": "agent", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "用户名或密码不正确。"
    assert client.get("/agent/").headers["content-type"].startswith("text/html")
    assert "登录" in client.get("/agent/").text  # the login page, not the workspace


def test_guessing_passwords_is_slowed_down(client: TestClient, redis_server: str) -> None:
    for _ in range(10):
        guess = client.post("/api/v1/agent/login", json={"username": "agent", "password": "guess"})
        assert guess.status_code == 401
    blocked = client.post("/api/v1/agent/login", json={"username": "agent", "password": AGENT_PASSWORD})
    assert blocked.status_code == 429 and "一分钟" in blocked.json()["error"]
    keys = sync_redis.Redis.from_url(redis_server, decode_responses=True).keys("ratelimit:agent:*")
    assert keys and not any("testclient" in k or "127.0.0.1" in k for k in keys)


def test_changes_need_the_csrf_token_and_audit_needs_a_supervisor(client: TestClient) -> None:
    say(client, "转人工")
    headers = login(client)
    conversation = waiting(client)[0]["conversation"]
    refused = client.post(f"/api/v1/agent/conversations/{conversation}/accept")
    assert refused.status_code == 403 and "刷新" in refused.json()["error"]
    assert client.get("/api/v1/agent/audit").status_code == 403
    accepted = client.post(f"/api/v1/agent/conversations/{conversation}/accept", headers=headers)
    assert accepted.status_code == 200


def test_a_whole_handoff_from_queue_to_rating(client: TestClient, rasa: HandoffRasa,
                                             redis_server: str) -> None:
    queued = say(client, "转人工")
    assert queued["meta"]["handoff_status"]["state"] == "queued"
    assert queued["meta"]["handoff_status"]["position"] == 1

    headers = login(client)
    client.post("/api/v1/agent/presence", json={"status": "online", "capacity": 2}, headers=headers)
    [item] = waiting(client)
    conversation = item["conversation"]
    assert item["channel"] == "webchat" and "citizen-1" not in conversation  # a pseudonym

    # While queued the citizen's words are kept for the agent, not sent to Rasa.
    before = len(rasa.turns)
    ack = say(client, "我的社保卡丢了，电话13912345678")
    assert len(rasa.turns) == before
    assert "人工客服接入后会先看到" in ack["messages"][0]["text"]

    accepted = client.post(f"/api/v1/agent/conversations/{conversation}/accept", headers=headers)
    assert accepted.status_code == 200
    assert rasa.controls == ["pause"]
    greeting = replies(client)[-1]
    assert greeting["messages"][0]["sender"] == "agent" and "人工客服" in greeting["messages"][0]["text"]

    pop = client.get(f"/api/v1/agent/conversations/{conversation}").json()
    said = [line for line in pop["handoff_log"] if line["who"] == "citizen"]
    assert "139****5678" in said[0]["text"] and "13912345678" not in json.dumps(pop)
    assert pop["bot_transcript"][0]["text"] == "转人工"
    assert pop["identity"]["level"] == "anonymous"

    # The full number only with a reason, and both views are in the audit log.
    token = said[0]["tokens"][0]
    no_reason = client.post(f"/api/v1/agent/conversations/{conversation}/reveal",
                            json={"token": token, "reason": ""}, headers=headers)
    assert no_reason.status_code == 422
    revealed = client.post(f"/api/v1/agent/conversations/{conversation}/reveal",
                           json={"token": token, "reason": "回电核实挂失"}, headers=headers)
    assert revealed.json()["value"] == "13912345678"

    # With an agent, the citizen talks to the agent only.
    say(client, "补办要多久？")
    assert len(rasa.turns) == before
    sent = client.post(f"/api/v1/agent/conversations/{conversation}/messages",
                       json={"text": "补办一般7个工作日。"}, headers=headers)
    assert sent.status_code == 200
    assert replies(client)[-1]["messages"][0]["text"] == "补办一般7个工作日。"
    client.post(f"/api/v1/agent/conversations/{conversation}/messages",
                json={"text": "稍后致电13912345678"}, headers=headers)
    assert replies(client)[-1]["messages"][0]["text"] == "稍后致电139****5678"  # stored masked

    closed = client.post(f"/api/v1/agent/conversations/{conversation}/close",
                         json={"summary": "社保卡挂失补办咨询", "outcome": "resolved"}, headers=headers)
    assert closed.status_code == 200
    assert rasa.controls == ["pause", "resume"]
    handoff = client.get("/api/v1/webchat/handoff", params={"session_id": "citizen-1"})
    assert handoff.json()["state"] == "closed"

    rated = client.post("/api/v1/webchat/rating", json={"session_id": "citizen-1", "score": 5})
    assert rated.status_code == 200
    store = sync_redis.Redis.from_url(redis_server, decode_responses=True)
    rows: Any = store.xrange("events:satisfaction")
    [(_, rating)] = rows
    assert rating["score"] == "5" and rating["kind"] == "human"

    # The bot answers again, in the same conversation.
    answer = say(client, "社保卡怎么挂失")
    assert answer["messages"][0]["text"] == "社保卡挂失可拨打12333。"
    assert len(rasa.turns) == before + 1

    supervisor = login(client, "supervisor", SUPERVISOR_PASSWORD)
    assert supervisor
    actions = [e["action"] for e in client.get("/api/v1/agent/audit").json()["entries"]]
    assert "screen_pop" in actions and "reveal" in actions
    audit = json.dumps(client.get("/api/v1/agent/audit").json(), ensure_ascii=False)
    assert "13912345678" not in audit


def test_citizen_can_leave_the_queue_by_saying_cancel(client: TestClient) -> None:
    say(client, "转人工")
    left = say(client, "取消")
    assert left["meta"]["handoff_status"]["state"] == "bot"
    assert "已为您取消排队" in left["messages"][0]["text"]
    login(client)
    assert waiting(client) == []


async def test_two_agents_racing_for_one_conversation_one_wins(redis_server: str) -> None:
    redis = Redis.from_url(redis_server, decode_responses=True)
    await redis.flushdb()
    queue = HandoffQueue(redis)
    await queue.enqueue("conv-a", "webchat", "citizen_request")
    for agent in ("li", "wang"):
        await queue.heartbeat(agent)
    results = await asyncio.gather(queue.accept("conv-a", "li"), queue.accept("conv-a", "wang"),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["HandoffError", "Waiting"]
    winner = next(r for r in results if not isinstance(r, BaseException))
    assert winner.agent in ("li", "wang")
    await redis.aclose()


async def test_priority_capacity_and_an_absent_agent(redis_server: str) -> None:
    redis = Redis.from_url(redis_server, decode_responses=True)
    await redis.flushdb()
    queue = HandoffQueue(redis)
    await queue.enqueue("plain", "sms", "citizen_request")
    await queue.enqueue("verified", "webchat", "citizen_request", priority=1)
    assert [w.conversation for w in await queue.waiting()] == ["verified", "plain"]
    assert (await queue.status("plain")).position == 2

    await queue.heartbeat("li", capacity=1)
    await queue.accept("verified", "li")
    with pytest.raises(HandoffError, match="上限"):
        await queue.accept("plain", "li")

    # Li's workspace stops reporting: the conversation goes back to the front of the queue.
    await redis.hset("handoff:agent:li", "seen", "0")
    swept = await queue.sweep(citizen_gone_s=3600, queue_abandon_s=3600)
    assert swept == [("verified", "agent_gone")]
    assert [w.conversation for w in await queue.waiting()] == ["verified", "plain"]
    await redis.aclose()


async def _desk(redis_server: str) -> tuple[Redis, HumanDesk, list[tuple[InboundMessage, BotReply]]]:
    redis = Redis.from_url(redis_server, decode_responses=True)
    await redis.flushdb()
    sent: list[tuple[InboundMessage, BotReply]] = []

    async def deliver(message: InboundMessage, reply: BotReply) -> None:
        sent.append((message, reply))

    async def publish(conversation: str, event: dict) -> None:
        return None

    rasa = RasaClient(httpx.AsyncClient(transport=httpx.MockTransport(HandoffRasa())), "http://rasa.test",
                      SECRET.encode(), 1.0)
    return redis, HumanDesk(redis, HandoffQueue(redis), rasa, deliver, publish), sent


async def test_a_goodbye_on_sms_asks_for_a_numbered_rating_and_records_the_digit(redis_server: str) -> None:
    redis, desk, _ = await _desk(redis_server)
    bye = BotReply("m1", [{"text": "感谢您的来电咨询，再见！"}], {"intent": "goodbye"})
    asked = await desk.after_bot_turn(InboundMessage("sms", "conv-s", "m1", "再见"), bye)
    assert "回复1-5" in asked.messages[-1]["text"]
    thanks = await desk.intercept(InboundMessage("sms", "conv-s", "m2", "5"))
    assert thanks is not None and "感谢您的评价" in thanks.messages[0]["text"]
    [(_, rating)] = await redis.xrange("events:satisfaction")
    assert rating["score"] == "5" and rating["kind"] == "bot" and rating["channel"] == "sms"
    # The web widget has its own buttons: no typed prompt there.
    same = await desk.after_bot_turn(InboundMessage("webchat", "conv-w", "m3", "再见"), bye)
    assert same == bye
    await redis.aclose()


async def test_no_answer_to_a_rating_is_recorded_as_no_answer(redis_server: str) -> None:
    redis, desk, _ = await _desk(redis_server)
    await desk.ask_rating("conv-a", "human", "wechat")
    # Something else instead of a digit: the bot answers it, the rating is "no answer".
    assert await desk.intercept(InboundMessage("wechat", "conv-a", "m1", "养老金怎么查")) is None
    await desk.ask_rating("conv-b", "human", "sms")
    await redis.zadd("rating:asked", {"conv-b": 0})  # its wait is over
    assert await desk.unanswered_ratings() == 1
    rows = [fields for _, fields in await redis.xrange("events:satisfaction")]
    assert [(r["conversation"], r["score"], r["channel"]) for r in rows] == [
        ("conv-a", "", "wechat"), ("conv-b", "", "sms")]
    await redis.aclose()


async def test_an_agents_words_go_out_through_the_citizens_own_channel(redis_server: str) -> None:
    redis, desk, sent = await _desk(redis_server)
    await desk.queue.enqueue("conv-w", "wechat", "citizen_request", reply_to="OPENIDTOKEN")
    await desk.queue.heartbeat("li")
    await desk.queue.accept("conv-w", "li")
    await desk.accepted("conv-w", "李丽")
    message, reply = sent[-1]
    assert (message.channel, message.conversation, message.reply_to) == ("wechat", "conv-w", "OPENIDTOKEN")
    assert "人工客服李丽" in reply.messages[0]["text"] and reply.messages[0]["sender"] == "agent"
    await redis.aclose()


async def test_a_callback_offered_out_of_hours_files_one_ticket_for_a_verified_citizen(
        redis_server: str) -> None:
    redis, desk, _ = await _desk(redis_server)
    filed: list[tuple[dict, str]] = []

    async def file_ticket(body: dict, key: str) -> dict:
        filed.append((body, key))
        return {"ticket_no": "HF20261130000001", "due_date": "2026-12-02"}

    desk._file_ticket = file_ticket
    verified = IdentityContext(level="verified", person="p1", record_ref="REF-7")
    asked = InboundMessage("wechat", "conv-n", "m1", "回电")
    assert await desk.callback(asked, verified) is None  # nothing was offered: Rasa answers
    await desk.offer_callback("conv-n")
    anonymous = await desk.callback(InboundMessage("wechat", "conv-n", "m2", "回电"), IdentityContext())
    assert anonymous is not None and "实名认证" in anonymous.messages[0]["text"] and not filed
    done = await desk.callback(InboundMessage("wechat", "conv-n", "m3", "/request_callback"), verified)
    assert done is not None and "HF20261130000001" in done.messages[0]["text"]
    assert "12月2日前" in done.messages[0]["text"]
    [(body, key)] = filed
    assert body == {"type": "callback", "summary": "市民在非工作时间申请人工回电", "channel": "wechat",
                    "person_ref": "REF-7"}
    assert key == "callback:conv-n:m3"
    await redis.aclose()


def test_canned_answers_come_from_the_knowledge_base_with_sources(client: TestClient) -> None:
    login(client)
    found = client.get("/api/v1/agent/canned", params={"q": "失业保险金 申领"}).json()["results"]
    assert found, "the retriever is off in unit tests: title matching answers"
    assert any("失业" in r["title"] for r in found)
    assert all(r["text"] and r["sources"] for r in found)
    assert client.get("/api/v1/agent/canned", params={"q": ""}).status_code == 422


def test_a_silent_bot_still_answers_and_still_hands_over(client: TestClient,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_HOURS", "always")
    progress = say(client, "查进度（动作服务器停了）", session="silent-1")
    assert "没能处理好" in progress["messages"][0]["text"] and "12333" in progress["messages"][0]["text"]
    human = say(client, "人工（动作服务器停了）", session="silent-2")
    assert human["meta"]["handoff_status"]["state"] == "queued"
    assert "转接人工客服" in human["messages"][0]["text"]
