"""Personal data never lands anywhere raw (issue 4, "Done when"): conversations full of
身份证号, mobile and bank-card numbers go through every channel path built so far (web
chat over REST and WebSocket, WeChat, SMS, the verification form with a name); then every
Redis key and value (Rasa trackers, the inbound stream, outboxes, events), the analytics
database and every log file of our processes is searched for the raw values. The fakes'
logs are left out: they stand in for WeChat and the SMS provider, who do see numbers."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Iterator

import httpx
import redis

from hotline import signing
from tests.integration.conftest import Live, wait_for
from tests.integration.test_identity import _person, _verify
from tests.integration.test_wechat import _callback

ID_NUMBERS = ["11010519491231002X", "440301198811120517"]
MOBILES = ["13912345678", "18600001111"]
CARD = "6222021234567890123"
RAW = [*ID_NUMBERS, *MOBILES, CARD]

SAYINGS = [
    f"我的身份证号是{ID_NUMBERS[0]}，帮我查一下养老保险缴费",
    f"手机{MOBILES[0]}收不到短信，身份证{ID_NUMBERS[1].lower()}",
    f"社保卡号{CARD}丢了怎么办，联系电话+86 {MOBILES[1]}",
]


def _values(store: redis.Redis, key: bytes) -> Iterator[bytes]:
    kind = store.type(key)
    if kind == b"string":
        yield store.get(key) or b""
    elif kind == b"list":
        yield from store.lrange(key, 0, -1)
    elif kind == b"hash":
        for field, value in store.hgetall(key).items():
            yield field
            yield value
    elif kind == b"set":
        yield from store.smembers(key)
    elif kind == b"zset":
        yield from (member for member, _ in store.zrange(key, 0, -1, withscores=True))
    elif kind == b"stream":
        for _, fields in store.xrange(key):
            for field, value in fields.items():
                yield field
                yield value


def _sql(path: Path, query: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(query).fetchone()[0])


def _leaks(haystack: bytes, raw_values: list[str]) -> list[str]:
    text = haystack.decode("utf-8", "replace")
    lowered = text.lower()
    return [raw for raw in raw_values if raw.lower() in lowered or json.dumps(raw)[1:-1] in text]


async def _over_the_socket(live: Live, text: str) -> None:
    """The widget's path: one message over the WebSocket, until its reply arrives."""
    import websockets  # rasa-sdk pins 10.4: the asyncio client is the one it has

    url = live.base.replace("http", "ws", 1) + "/api/v1/webchat/ws?session_id=pii-ws"
    async with websockets.connect(url) as socket:
        await socket.recv()
        await socket.send(json.dumps({"type": "message", "message_id": "pii-ws-1", "text": text},
                                     ensure_ascii=False))
        while json.loads(await asyncio.wait_for(socket.recv(), 30))["type"] != "reply":
            pass


def _through_an_agent(live: Live) -> None:
    """The human handoff: what the citizen says while waiting and to the agent, the agent's
    reply and notes, the screen-pop and a reveal all leave masked traces only."""
    queued = live.say("pii-human", "转人工")
    assert (queued["meta"].get("handoff_status") or {}).get("state") == "queued", queued
    live.say("pii-human", SAYINGS[2])
    conversation = signing.pseudonym(live.secret("HOTLINE_PSEUDONYM_SECRET").encode(), "webchat", "pii-human")
    with httpx.Client(base_url=live.base, timeout=10) as agent:  # closed even on failure
        login = agent.post("/api/v1/agent/login",
                           json={"username": "agent", "password": live.secret("STAFF_AGENT_PASSWORD")})
        headers = {"X-CSRF-Token": login.json()["csrf"]}
        assert agent.post(f"/api/v1/agent/conversations/{conversation}/accept", headers=headers).is_success
        pop = agent.get(f"/api/v1/agent/conversations/{conversation}").json()
        assert not _leaks(json.dumps(pop, ensure_ascii=False).encode(), RAW)
        token = next(t for line in pop["handoff_log"] for t in line["tokens"])
        agent.post(f"/api/v1/agent/conversations/{conversation}/reveal", headers=headers,
                   json={"token": token, "reason": f"核对卡号，回电{MOBILES[0]}"}).raise_for_status()
        live.say("pii-human", f"我的身份证是{ID_NUMBERS[1]}")
        agent.post(f"/api/v1/agent/conversations/{conversation}/messages", headers=headers,
                   json={"text": f"好的，我们会致电{MOBILES[1]}与您联系"}).raise_for_status()
        agent.post(f"/api/v1/agent/conversations/{conversation}/notes", headers=headers,
                   json={"text": f"市民身份证{ID_NUMBERS[0]}，卡号{CARD}"}).raise_for_status()
        closed = agent.post(f"/api/v1/agent/conversations/{conversation}/close", headers=headers,
                            json={"summary": f"社保卡挂失，回电{MOBILES[1]}", "outcome": "resolved"})
        closed.raise_for_status()


def test_no_raw_personal_numbers_in_redis_or_logs(live: Live) -> None:
    for n, text in enumerate(SAYINGS):
        reply = live.say(f"pii-rest-{n}", text)
        assert reply["status"] == "answered"
        assert not _leaks(json.dumps(reply, ensure_ascii=False).encode(), RAW)  # masked, if shown

    asyncio.run(_over_the_socket(live, SAYINGS[0]))

    openid = "oPersonal" + "7" * 19
    wechat = _callback(live, openid, SAYINGS[1], msg_id=8_200_000_001)
    posted = httpx.post(live.base + "/wechat", params=wechat[0], content=wechat[1], timeout=10)
    assert posted.status_code == 200

    sms = f"http://127.0.0.1:{live.stack.ports.sms}"
    httpx.post(sms + "/_fake/uplink", timeout=30,
               json={"provider": "aliyun", "phone": MOBILES[1], "text": SAYINGS[0]}).raise_for_status()
    wait_for(lambda: httpx.get(sms + "/_fake/messages", params={"phone": MOBILES[1]},
                               timeout=5).json()["messages"], 60, "the SMS answer")

    name, id_number, phone = _person(live, nth=1)
    raw_values = [*RAW, openid, name, id_number, phone]
    assert "验证成功" in _verify(lambda text: str(live.say("pii-verify", text)["messages"][-1]["text"]),
                              live, nth=1)

    rated = httpx.post(live.base + "/api/v1/webchat/rating", timeout=10,
                       json={"session_id": "pii-rest-0", "score": 4, "comment": f"回电{MOBILES[0]}"})
    assert rated.status_code == 200

    _through_an_agent(live)

    store = redis.Redis.from_url(live.stack.redis_url)
    found = []
    for key in store.scan_iter(count=500):
        found += [(key, raw) for raw in _leaks(key, raw_values)]
        for value in _values(store, key):
            found += [(key, raw) for raw in _leaks(value, raw_values)]
    assert store.exists(*store.keys("rasa:tracker:*")), "Rasa trackers were searched"
    assert not found, f"raw personal numbers stored: {found[:5]}"

    # The analytics store (issue 11): every row, and the database files as they lie on disk.
    analytics = live.state / "analytics.db"
    rated_events = "SELECT count(*) FROM analytics_events WHERE kind = 'satisfaction'"
    wait_for(lambda: analytics.exists() and _sql(analytics, rated_events), 30, "the rating's event")
    dump = "\n".join(sqlite3.connect(analytics).iterdump()).encode()
    assert _sql(analytics, "SELECT count(*) FROM analytics_events WHERE kind = 'turn'"), "turns searched"
    assert not _leaks(dump, raw_values), "analytics events"
    for file in live.state.glob("analytics.db*"):
        assert not _leaks(file.read_bytes(), raw_values), file.name

    logs = [log for log in Path(live.state / "logs").glob("*.log") if log.stem not in ("sms", "wechat")]
    assert logs
    for log in logs:
        assert not _leaks(log.read_bytes(), raw_values), log.name
