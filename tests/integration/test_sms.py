"""SMS on the real stack: the fake SMS provider runs as the stack's ``sms`` service (a
real HTTP server), pushes an uplink to the gateway the way Aliyun does, and receives
the reply through the generic downlink, as the handset would see it.

Progress queries (JD + 受理编号) end to end are in tests/integration/test_business_flows.py."""

from __future__ import annotations

from typing import Any

import httpx
import redis

from channels.sms import segments
from tests.integration.conftest import Live, wait_for

PHONE = "13912345678"


def _fake(live: Live) -> str:
    return f"http://127.0.0.1:{live.stack.ports.sms}"


def _sent(live: Live, phone: str) -> list[dict[str, Any]]:
    answer = httpx.get(_fake(live) + "/_fake/messages", params={"phone": phone}, timeout=10)
    return list(answer.json()["messages"])


def test_a_policy_question_by_sms_is_answered_in_segments_with_the_signature(live: Live) -> None:
    pushed = httpx.post(_fake(live) + "/_fake/uplink", timeout=30, json={
        "provider": "aliyun", "phone": PHONE, "text": "社保卡丢了怎么办"})
    assert pushed.json() == {"status": 200, "body": {"code": 0, "msg": "接收成功"}}

    [sms] = wait_for(lambda: _sent(live, PHONE), 60, "the SMS reply")
    parts = sms["parts"]
    assert parts[0].startswith("【12333】") and 1 <= len(parts) <= 3
    assert len(parts[0]) <= 70 if len(parts) == 1 else all(len(p) <= 67 for p in parts)
    assert "".join(parts) == "【12333】" + sms["text"]
    assert "挂失" in sms["text"] and "依据" in sms["text"]
    # Rasa chose the entry's short wording for the sms channel: it fits whole, where the
    # full answer (352 characters) would have been cut with a pointer to the web.
    assert segments.POINTER not in sms["text"]

    client = redis.Redis.from_url(live.stack.redis_url, decode_responses=True)
    try:
        report = wait_for(lambda: client.hgetall(f"sms:report:generic:{sms['id']}"), 30,
                          "the delivery report")
        assert report["delivered"] == "1"
        assert not [k for k in client.keys("*") if PHONE in k or PHONE[-8:] in k]
    finally:
        client.close()


def test_the_help_keyword_is_answered_without_the_bot(live: Live) -> None:
    phone = "13912345679"
    pushed = httpx.post(_fake(live) + "/_fake/uplink", timeout=30, json={
        "provider": "tencent", "phone": phone, "text": "BZ"})
    assert pushed.json() == {"status": 200, "body": {"result": 0, "errmsg": "OK"}}
    [menu] = wait_for(lambda: _sent(live, phone), 30, "the menu")
    assert menu["parts"] == ["【12333】" + menu["text"]] and "TD" in menu["text"]
