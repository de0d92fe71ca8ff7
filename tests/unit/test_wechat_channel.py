"""The WeChat channel through the gateway: real Redis, Rasa faked by ``FakeRasa``, WeChat's
API by the in-process fake. Passive replies inside the budget, ``success`` and 客服消息
after it, one bot turn for WeChat's retries, and what the gateway answers by itself."""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Iterator

import httpx
import pytest
import redis as sync_redis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from channels.adapters.wechat import UNSUPPORTED, VOICE_UNRECOGNISED, WELCOME
from channels.dialogue import BUSY_TEXT
from tests.unit import wechat_support as ws
from tests.unit.conftest import FakeRasa

OPENID = "oCitizen0000000000000000001"


@pytest.fixture
def upstreams() -> ws.Upstreams:
    return ws.Upstreams(FakeRasa())


@pytest.fixture
def wechat(redis_server: str, upstreams: ws.Upstreams) -> Iterator[TestClient]:
    with ws.gateway(redis_server, upstreams) as client:
        yield client


def post(client: TestClient, signed: tuple[dict[str, str], bytes]) -> httpx.Response:
    query, body = signed
    response = client.post("/wechat", params=query, content=body)
    assert response.status_code == 200, response.text
    return response


def said(response: httpx.Response) -> str:
    """What the citizen sees: the passive reply's text, or '' for ``success``."""
    if response.text == "success":
        return ""
    return ws.content(ws.open_reply(response.text) if "<Encrypt>" in response.text else response.text)


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_three_deliveries_of_one_msgid_make_one_bot_turn(wechat: TestClient, upstreams: ws.Upstreams) -> None:
    xml = ws.text_xml(OPENID, "社保卡丢了怎么办", msg_id=6054768590064713728)
    first = ws.sealed(xml)
    answers = [said(post(wechat, first)),                 # WeChat's first try
               said(post(wechat, first)),                 # a verbatim resend
               said(post(wechat, ws.sealed(xml)))]        # a resend with a fresh nonce
    assert len(upstreams.rasa.requests) == 1
    assert answers[0].startswith("您好，请问有什么可以帮您？")
    assert answers == [answers[0]] * 3
    assert upstreams.sent == []  # answered passively: no 客服消息 as well


def test_the_same_msgid_from_two_citizens_is_two_turns(wechat: TestClient, upstreams: ws.Upstreams) -> None:
    post(wechat, ws.sealed(ws.text_xml(OPENID, "你好", msg_id=42)))
    post(wechat, ws.sealed(ws.text_xml("oSomeoneElse00000000000000002", "你好", msg_id=42)))
    assert len(upstreams.rasa.requests) == 2


def test_a_slow_turn_answers_success_then_a_customer_service_message(
        wechat: TestClient, upstreams: ws.Upstreams) -> None:
    upstreams.rasa_delay_s = 2.5  # beyond the 1.5 s budget these tests run with
    started = time.monotonic()
    response = post(wechat, ws.sealed(ws.text_xml(OPENID, "失业金怎么领", msg_id=1001)))
    assert response.text == "success"
    assert 1.4 < time.monotonic() - started < 2.4
    sent = eventually(lambda: upstreams.sent)
    assert [(m["touser"], m["content"]) for m in sent] == [
        (OPENID, "您好，请问有什么可以帮您？\n回复数字选择：\n1. 社保卡")]
    # WeChat does not retry after `success`; if it did, the citizen would not get it twice.
    assert said(post(wechat, ws.sealed(ws.text_xml(OPENID, "失业金怎么领", msg_id=1001)))) == ""
    upstreams.rasa_delay_s = 0
    # The numbers offered in the 客服消息 work like buttons.
    post(wechat, ws.sealed(ws.text_xml(OPENID, "1", msg_id=1002)))
    assert upstreams.rasa.requests[-1]["text"] == "/faq"
    assert len(upstreams.sent) == 1


def test_choices_from_a_passive_reply_and_plain_numbers(wechat: TestClient, upstreams: ws.Upstreams) -> None:
    post(wechat, ws.sealed(ws.text_xml(OPENID, "社保卡", msg_id=2001)))
    post(wechat, ws.sealed(ws.text_xml(OPENID, "１", msg_id=2002)))
    assert upstreams.rasa.requests[-1]["text"] == "/faq"
    post(wechat, ws.sealed(ws.text_xml(OPENID, "7", msg_id=2003)))  # not one of the choices
    assert upstreams.rasa.requests[-1]["text"] == "7"


def test_subscribe_is_welcomed_without_the_bot_and_unsubscribe_forgets(
        wechat: TestClient, upstreams: ws.Upstreams, redis_server: str) -> None:
    store = sync_redis.Redis.from_url(redis_server)
    key = f"pii:vault:wechat-openid:{ws.conversation(OPENID)}"
    assert said(post(wechat, ws.sealed(ws.event_xml(OPENID, "subscribe")))) == WELCOME
    assert upstreams.rasa.requests == []
    assert store.exists(key) and OPENID.encode() not in store.get(key)
    assert 47 * 3600 < store.ttl(key) <= 48 * 3600
    assert said(post(wechat, ws.sealed(ws.event_xml(OPENID, "unsubscribe")))) == ""
    assert not store.exists(key)


def test_the_openid_never_leaves_the_gateway_raw(wechat: TestClient, upstreams: ws.Upstreams,
                                                 redis_server: str) -> None:
    upstreams.rasa_delay_s = 2.0
    post(wechat, ws.sealed(ws.text_xml(OPENID, "我的社保卡", msg_id=3001)))
    eventually(lambda: upstreams.sent)
    store = sync_redis.Redis.from_url(redis_server)
    for key in store.scan_iter("*"):
        assert OPENID.encode() not in key
        kind = store.type(key)
        if kind == b"string":
            assert OPENID.encode() not in store.get(key)
        elif kind == b"list":
            assert all(OPENID.encode() not in v for v in store.lrange(key, 0, -1))
        elif kind == b"stream":
            assert all(OPENID.encode() not in v for _, f in store.xrange(key) for v in f.values())
    assert all(OPENID not in json.dumps(r) for r in upstreams.rasa.requests)


def test_menu_clicks_map_to_payloads_and_views_are_quiet(wechat: TestClient, upstreams: ws.Upstreams) -> None:
    created = int(time.time())
    click = ws.sealed(ws.event_xml(OPENID, "CLICK", "REQUEST_HUMAN", created=created))
    post(wechat, click)
    post(wechat, ws.sealed(ws.event_xml(OPENID, "CLICK", "REQUEST_HUMAN", created=created)))  # retry
    assert [r["text"] for r in upstreams.rasa.requests] == ["/request_human"]
    assert said(post(wechat, ws.sealed(ws.event_xml(OPENID, "VIEW", "https://www.mohrss.gov.cn/")))) == ""
    assert len(upstreams.rasa.requests) == 1


def test_voice_uses_wechats_recognition_or_asks_for_text(wechat: TestClient, upstreams: ws.Upstreams) -> None:
    head = (f"<xml><ToUserName><![CDATA[{ws.ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]>"
            f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]>"
            "</MsgType><MediaId><![CDATA[media1]]></MediaId><Format><![CDATA[amr]]></Format>")
    bare = said(post(wechat, ws.sealed(head + "<MsgId>4001</MsgId></xml>")))
    assert bare == VOICE_UNRECOGNISED and upstreams.rasa.requests == []
    recognised = head + "<Recognition><![CDATA[养老金怎么算]]></Recognition><MsgId>4002</MsgId></xml>"
    post(wechat, ws.sealed(recognised))
    assert [r["text"] for r in upstreams.rasa.requests] == ["养老金怎么算"]


def test_images_and_other_types_get_a_polite_request_for_text(wechat: TestClient,
                                                              upstreams: ws.Upstreams) -> None:
    image = (f"<xml><ToUserName><![CDATA[{ws.ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]>"
             f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]>"
             "</MsgType><PicUrl><![CDATA[http://x/p.jpg]]></PicUrl><MediaId><![CDATA[m]]></MediaId>"
             "<MsgId>5001</MsgId></xml>")
    assert said(post(wechat, ws.sealed(image))) == UNSUPPORTED
    assert upstreams.rasa.requests == []


def test_plaintext_and_compatible_mode_without_an_aes_key(redis_server: str, upstreams: ws.Upstreams) -> None:
    with ws.gateway(redis_server, upstreams, wechat_encoding_aes_key=None) as client:
        response = post(client, ws.plain(ws.text_xml(OPENID, "你好", msg_id=6001)))
        assert response.headers["content-type"].startswith("application/xml")
        assert said(response).startswith("您好")
        query, body = ws.plain(ws.text_xml(OPENID, "你好", msg_id=6002))
        compatible = {**query, "encrypt_type": "aes", "msg_signature": "ignored-without-a-key"}
        assert said(client.post("/wechat", params=compatible, content=body)).startswith("您好")
        sealed_only = ws.sealed(ws.text_xml(OPENID, "你好", msg_id=6003))
        assert client.post("/wechat", params=sealed_only[0], content=sealed_only[1]).status_code == 400


def test_a_gateway_with_a_key_refuses_plaintext_callbacks(wechat: TestClient,
                                                          upstreams: ws.Upstreams) -> None:
    # The plain signature does not cover the body: no downgrade from safe mode.
    query, body = ws.plain(ws.text_xml(OPENID, "你好", msg_id=6101))
    response = wechat.post("/wechat", params=query, content=body)
    assert response.status_code == 400 and "你好" not in response.text
    assert upstreams.rasa.requests == []


def test_a_long_answer_is_passive_first_then_customer_service(redis_server: str) -> None:
    sentence = "失业保险金按月发放，标准不低于城市居民最低生活保障标准、不高于最低工资标准。"

    def long_rasa(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/webhooks/hotline/webhook":
            return httpx.Response(200, json={"status": "ok"})
        return httpx.Response(200, json={"messages": [{"text": sentence * 25}],
                                         "meta": {"intent": "faq", "faq_id": "unemployment_x"}})

    upstreams = ws.Upstreams(long_rasa)  # type: ignore[arg-type]
    with ws.gateway(redis_server, upstreams) as client:
        first = said(post(client, ws.sealed(ws.text_xml(OPENID, "失业金标准", msg_id=7001))))
        rest = eventually(lambda: upstreams.sent)
    assert first.startswith(sentence) and len(first.encode()) <= 2000
    assert len(rest) == 1 and rest[0]["touser"] == OPENID
    assert (first + rest[0]["content"]).count(sentence) == 25


def test_a_closed_window_is_recorded_not_retried(wechat: TestClient, upstreams: ws.Upstreams,
                                                 redis_server: str) -> None:
    async def fail() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=upstreams.fake)) as http:
            await http.post(ws.API + "/_fake/fail", json={"api": "send", "errcode": 45015})

    import asyncio

    asyncio.run(fail())
    upstreams.rasa_delay_s = 2.0
    assert post(wechat, ws.sealed(ws.text_xml(OPENID, "你好", msg_id=8001))).text == "success"
    store = sync_redis.Redis.from_url(redis_server)
    key = f"wechat:undelivered:{ws.conversation(OPENID)}"
    record = json.loads(eventually(lambda: store.lrange(key, 0, -1))[0])
    assert record["reason"] == "window_closed" and record["message_id"].startswith("m8001-")
    assert upstreams.sent == []


def test_a_down_bot_gets_a_holding_answer_then_the_reply(wechat: TestClient, upstreams: ws.Upstreams) -> None:
    upstreams.rasa.up = False
    assert said(post(wechat, ws.sealed(ws.text_xml(OPENID, "你好", msg_id=9001)))) == BUSY_TEXT
    upstreams.rasa.up = True
    sent = eventually(lambda: upstreams.sent, timeout=15)  # retried after INBOUND_RETRY_IDLE_S
    assert sent[0]["content"].startswith("您好，请问有什么可以帮您？")


def test_the_budget_is_configurable(redis_server: str, upstreams: ws.Upstreams) -> None:
    upstreams.rasa_delay_s = 0.6
    with ws.gateway(redis_server, upstreams, wechat_reply_budget_s=0.3) as client:
        assert post(client, ws.sealed(ws.text_xml(OPENID, "你好", msg_id=9101))).text == "success"
    with ws.gateway(redis_server, upstreams, wechat_token=SecretStr(ws.TOKEN),
                    wechat_reply_budget_s=1.2) as client:
        assert said(post(client, ws.sealed(ws.text_xml(OPENID, "你好", msg_id=9102)))).startswith("您好")
