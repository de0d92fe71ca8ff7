"""WeChat over real HTTP against the real stack: the gateway, a trained Rasa, the fake
WeChat API as a stack service. Callbacks are signed and encrypted the way WeChat does it,
with wechatpy, independently of the gateway's own code."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import signal
import time
from typing import Any

import httpx
import pytest
import xmltodict
from wechatpy.crypto import PrpCrypto

from hotline import signing
from tests.integration.conftest import Live, wait_for

pytestmark = pytest.mark.integration
ACCOUNT = "gh_12333live"


def _value(live: Live, name: str) -> str:
    return os.environ.get(name) or live.secret(name)


def _fake(live: Live) -> str:
    if os.environ.get("WECHAT_API_BASE"):
        pytest.skip("WECHAT_API_BASE names a real WeChat API: no fake to read back from")
    return f"http://127.0.0.1:{live.stack.ports.wechat}"


def _sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 (WeChat's scheme)


def _callback(live: Live, openid: str, text: str, msg_id: int, nonce: str | None = None,
              timestamp: str | None = None) -> tuple[dict[str, str], bytes]:
    token, key = _value(live, "WECHAT_TOKEN"), _value(live, "WECHAT_ENCODING_AES_KEY")
    plain = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
             f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]>"
             f"</MsgType><Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>")
    encrypt = PrpCrypto(base64.b64decode(key + "=")).encrypt(plain, _value(live, "WECHAT_APP_ID")).decode()
    ts, nonce = timestamp or str(int(time.time())), nonce or secrets.token_hex(5)
    query = {"signature": _sha1(token, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": openid,
             "encrypt_type": "aes", "msg_signature": _sha1(token, ts, nonce, encrypt)}
    body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    return query, body.encode()


def _post(live: Live, callback: tuple[dict[str, str], bytes]) -> httpx.Response:
    response = httpx.post(live.base + "/wechat", params=callback[0], content=callback[1], timeout=10)
    assert response.status_code == 200, response.text
    return response


def _opened(live: Live, response: httpx.Response) -> dict[str, Any]:
    outer = xmltodict.parse(response.text)["xml"]
    token = _value(live, "WECHAT_TOKEN")
    assert outer["MsgSignature"] == _sha1(token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
    key = base64.b64decode(_value(live, "WECHAT_ENCODING_AES_KEY") + "=")
    inner = PrpCrypto(key).decrypt(outer["Encrypt"], _value(live, "WECHAT_APP_ID"))
    return dict(xmltodict.parse(inner)["xml"])


def _conversation(live: Live, openid: str) -> str:
    return signing.pseudonym(live.secret("HOTLINE_PSEUDONYM_SECRET").encode(), "wechat", openid)


def test_an_encrypted_question_gets_an_encrypted_passive_answer(live: Live) -> None:
    live.say("wechat-warm-up", "你好")  # the first turn after start-up loads what Rasa caches
    openid = "oLive" + secrets.token_hex(11)
    response = _post(live, _callback(live, openid, "失业保险金怎么申领", msg_id=7_000_000_001))
    assert response.headers["content-type"].startswith("application/xml")
    assert "失业" not in response.text  # sealed
    reply = _opened(live, response)
    assert (reply["ToUserName"], reply["FromUserName"], reply["MsgType"]) == (openid, ACCOUNT, "text")
    assert "失业" in reply["Content"]


def test_a_slow_turn_gets_success_then_a_customer_service_message(live: Live) -> None:
    fake = _fake(live)
    openid = "oLive" + secrets.token_hex(11)
    rasa = live.stack.services["rasa"].process
    assert rasa is not None
    os.killpg(rasa.pid, signal.SIGSTOP)  # Rasa stalls for 3 s: longer than the 2 s budget
    try:
        started = time.monotonic()
        response = _post(live, _callback(live, openid, "退休年龄怎么算", msg_id=7_000_000_002))
        waited = time.monotonic() - started
        time.sleep(max(0.0, 3.0 - waited))
    finally:
        os.killpg(rasa.pid, signal.SIGCONT)
    assert response.text == "success"
    assert 1.8 < waited < 3.0

    def delivered() -> list[dict[str, Any]]:
        return list(httpx.get(fake + "/_fake/messages", params={"touser": openid}, timeout=5).json())

    sent = wait_for(delivered, 60, "the answer as a customer-service message")
    assert "退休" in sent[0]["content"]
    time.sleep(2)
    assert len(delivered()) == len(sent)  # sent once, not again by a retry


def test_three_deliveries_of_one_msgid_make_one_bot_turn(live: Live) -> None:
    openid = "oLive" + secrets.token_hex(11)
    first = _callback(live, openid, "社保卡丢了怎么补办", msg_id=7_000_000_003)
    answers = [_opened(live, _post(live, first))["Content"],          # WeChat's first try
               _opened(live, _post(live, first))["Content"]]          # a resend, verbatim
    resend = _callback(live, openid, "社保卡丢了怎么补办", msg_id=7_000_000_003)
    answers.append(_opened(live, _post(live, resend))["Content"])     # a resend, fresh nonce
    assert answers == [answers[0]] * 3
    tracker = live.redis_json(f"rasa:tracker:{_conversation(live, openid)}")
    user_turns = [e for e in tracker["events"] if e["event"] == "user"]
    assert len(user_turns) == 1
    assert openid not in str(tracker)
