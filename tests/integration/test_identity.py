"""One person across channels (issue 4, "Done when"): a citizen binds their WeChat account
after verifying there; later, with that verification expired, they verify on web chat and
their WeChat messages reach the bot at the verified level without verifying again;
解除绑定 removes the link. Real stack: gateway, Rasa, the reference business system, the
fake SMS gateway (the one-time codes) and the fake WeChat API."""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any, Callable

import httpx
import pytest
import redis

from tests.integration.conftest import Live, wait_for
from tests.integration.test_wechat import _callback, _conversation, _opened

pytestmark = pytest.mark.integration


def _person(live: Live, nth: int = 0) -> tuple[str, str, str]:
    """A demo person of the reference business system: name, 身份证号, phone on record.
    Tests sharing the stack use different people: codes are limited to one a minute."""
    with sqlite3.connect(live.state / "business.db") as db:
        row = db.execute("SELECT name, id_number, phone FROM persons ORDER BY id LIMIT 1 OFFSET ?",
                         (nth,)).fetchone()
    return str(row[0]), str(row[1]), str(row[2])


def _latest_code(live: Live, phone: str, before: int) -> str:
    fake = f"http://127.0.0.1:{live.stack.ports.sms}/_fake/messages"

    def sent() -> list[dict[str, Any]]:
        return list(httpx.get(fake, params={"phone": phone}, timeout=5).json()["messages"])[before:]

    text = str(wait_for(sent, 30, "the one-time code at the fake SMS gateway")[-1]["text"])
    return text.split("验证码为")[1][:6]


def _codes_sent(live: Live, phone: str) -> int:
    fake = f"http://127.0.0.1:{live.stack.ports.sms}/_fake/messages"
    return len(httpx.get(fake, params={"phone": phone}, timeout=5).json()["messages"])


def _verify(say: Callable[[str], str], live: Live, nth: int = 0) -> str:
    name, id_number, phone = _person(live, nth)
    assert "个人信息告知" in say("我要实名认证")
    assert "姓名" in say(id_number)
    before = _codes_sent(live, phone)
    assert phone[:3] + "****" + phone[-4:] in say(name)
    return say(_latest_code(live, phone, before))


def _level_seen_by_rasa(live: Live, conversation: str) -> str:
    store = redis.Redis.from_url(live.stack.redis_url)
    tracker = json.loads(store.get(f"rasa:tracker:{conversation}") or b"{}")
    users = [e for e in tracker.get("events", []) if e.get("event") == "user"]
    return str(users[-1]["metadata"]["identity"]["level"])


def test_verified_on_web_chat_then_recognised_on_a_bound_wechat_account(live: Live) -> None:
    live.say("identity-warm-up", "你好")
    openid = "oIdentity" + secrets.token_hex(9)
    msg_ids = iter(range(8_100_000_000, 8_100_001_000))

    def wechat(text: str) -> str:
        response = httpx.post(live.base + "/wechat", params=(cb := _callback(
            live, openid, text, next(msg_ids)))[0], content=cb[1], timeout=10)
        assert response.status_code == 200 and response.text != "success", "passive reply expected"
        return str(_opened(live, response)["Content"])

    session = "identity-web-" + secrets.token_hex(4)

    def web(text: str) -> str:
        return str(live.say(session, text)["messages"][-1]["text"])

    # On WeChat: verify, then bind the account.
    assert "验证成功" in _verify(wechat, live)
    assert "已绑定" in wechat("绑定")
    conversation = _conversation(live, openid)

    # Half an hour later both verifications have expired: the link alone grants nothing.
    store = redis.Redis.from_url(live.stack.redis_url)
    expired = ("identity:conversation:*", "identity:person:*", "otp:rate:*:60:*")  # and the minute
    for key in [k for pattern in expired for k in store.keys(pattern)]:
        store.delete(key)
    wechat("你好")
    assert _level_seen_by_rasa(live, conversation) == "anonymous"

    # The citizen verifies on web chat; the bound WeChat account is recognised at once.
    assert "验证成功" in _verify(web, live)
    wechat("你好")
    assert _level_seen_by_rasa(live, conversation) == "verified"

    assert "已解除" in wechat("解除绑定")
    wechat("你好")
    assert _level_seen_by_rasa(live, conversation) == "anonymous"
