"""Faults injected into the real stack (SECURITY.md, "Faults"): what the citizen is told,
in Chinese and within seconds, and that nothing accepted is lost or done twice.

Rasa down and the gateway killed with a message in flight are in test_stack.py; the
business system down mid-flow in test_business_flows.py. Every service stopped here is
restarted before the test ends: the stack is shared.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import time
import uuid

import httpx

from hotline import signing
from tests.integration.conftest import Live, wait_for

CJK = re.compile(r"[\u4e00-\u9fff]")


def _text(reply: dict) -> str:
    return "\n".join(m.get("text") or "" for m in reply["messages"])


def _post(live: Live, session: str, text: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.post(live.base + "/api/v1/webchat/messages",
                          json={"session_id": session, "text": text}, timeout=30)
    return response, time.monotonic() - started


def test_action_server_down_gets_a_polite_answer_then_recovers(live: Live) -> None:
    session = f"it-actions-{uuid.uuid4().hex[:8]}"
    live.stack.stop("actions")
    try:
        response, took = _post(live, session, "转人工")
        assert response.status_code == 200 and took < 10
        said = _text(response.json())
        assert CJK.search(said) and "Traceback" not in said and "Error" not in said
    finally:
        live.stack.start("actions", say=lambda _: None)
    reply = live.say(f"it-actions-{uuid.uuid4().hex[:8]}", "转人工")
    assert reply["meta"]["handoff"] is True  # the action server answers again


def test_redis_stopped_and_restarted_mid_conversation(live: Live) -> None:
    session = f"it-redis-{uuid.uuid4().hex[:8]}"
    assert live.say(session, "你好")["meta"]["intent"] == "greet"
    live.stack.stop("redis")
    try:
        response, took = _post(live, session, "失业金怎么领")
        assert took < 15
        # Nothing was accepted, and the citizen is told so in Chinese, not shown a bare 500.
        assert response.status_code == 503
        assert "重新发送" in response.json()["error"]
    finally:
        live.stack.start("redis", say=lambda _: None)

    def answered() -> dict | None:
        try:
            reply = live.say(session, "失业金怎么领", timeout=30)
        except httpx.HTTPError:
            return None
        return reply if reply.get("status") == "answered" else None

    reply = wait_for(answered, 60, "the conversation to continue after Redis is back")
    assert reply["meta"]["topic"] == "unemployment"
    # The conversation so far survived the restart (append-only file): one tracker with both turns.
    conversation = signing.pseudonym(live.secret("HOTLINE_PSEUDONYM_SECRET").encode(), "webchat", session)
    events = live.redis_json(f"rasa:tracker:{conversation}")["events"]
    said = [e.get("text") for e in events if e["event"] == "user"]
    assert said[0] == "你好" and "失业金怎么领" in said


def test_business_system_timing_out_never_files_a_ticket_twice(live: Live) -> None:
    session = f"it-ticket-{uuid.uuid4().hex[:8]}"
    company = f"北京测试{uuid.uuid4().hex[:6]}建筑有限公司"
    for said in ("我要举报公司拖欠工资", company, "拖欠我们十二个人三个月工资", "朝阳区望京某工地",
                 "今年8月开始", "18000"):
        last = _text(live.say(session, said))
    assert "确认提交吗" in last
    business = live.stack.services["business"].process
    assert business is not None
    os.killpg(business.pid, signal.SIGSTOP)  # the business system hangs: the action's call times out
    try:
        response, took = _post(live, session, "是")
    finally:
        os.killpg(business.pid, signal.SIGCONT)  # it then processes the request it had received
    assert response.status_code == 200 and took < 15
    first = _text(response.json())
    assert CJK.search(first)
    # The citizen confirms again (or is already told the number): still one ticket.
    told = re.findall(r"工单号：(GD\w+)", first)
    if not told:
        second = _text(live.say(session, "是"))
        assert CJK.search(second)
        told = re.findall(r"工单号：(GD\w+)", second)
    time.sleep(2)
    with sqlite3.connect(live.state / "business.db") as db:
        rows = [r[0] for r in db.execute("SELECT no FROM tickets WHERE summary LIKE ?", (f"%{company}%",))]
    assert len(rows) <= 1, rows  # the retry reused the Idempotency-Key
    assert set(told) <= set(rows)  # every number the citizen was told exists
