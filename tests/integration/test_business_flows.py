"""Business flows end to end (issue 5): the gateway's web chat API, the trained Rasa model,
the real action server and the reference business system with its seeded demo data; and
"JD + 受理编号" by SMS through the fake SMS gateway."""

from __future__ import annotations

import sqlite3
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Live, wait_for

pytestmark = pytest.mark.integration

HUMAN = {"title": "转人工", "payload": "/request_human"}


def _application(live: Live) -> tuple[str, str, str]:
    """A seeded 受理编号 with its status name's code and the citizen's next step."""
    with sqlite3.connect(live.state / "business.db") as db:
        row = db.execute("SELECT acceptance_no, status, next_step FROM applications "
                         "ORDER BY id LIMIT 1").fetchone()
    return str(row[0]), str(row[1]), str(row[2])


def _text(reply: dict[str, Any]) -> str:
    return "\n".join(m.get("text") or "" for m in reply["messages"])


def _session() -> str:
    return f"biz-{uuid.uuid4().hex[:12]}"


def test_progress_by_number(live: Live) -> None:
    number, _, next_step = _application(live)
    reply = live.say(_session(), f"我的申请到哪一步了 {number}")
    text = _text(reply)
    assert reply["meta"]["intent"] == "query_progress"
    assert text.startswith(f"受理编号 {number}（") and "目前的状态是" in text
    assert "最新进展：" in text and f"下一步：{next_step}" in text


def test_progress_without_a_number_asks_for_it(live: Live) -> None:
    text = _text(live.say(_session(), "查询进度"))
    assert text.startswith("请把受理编号发给我") and "SY20261103000123" in text


def test_unknown_number_is_explained_with_a_human_offer(live: Live) -> None:
    reply = live.say(_session(), "查询进度 SY20200101999999")
    assert _text(reply).startswith("没有查到受理编号为 SY20200101999999 的办件")
    assert "受理回执" in _text(reply)
    assert HUMAN in reply["messages"][0]["buttons"]


def test_malformed_number_explains_the_format(live: Live) -> None:
    text = _text(live.say(_session(), "查询进度 SY2026110300012"))
    assert text.startswith("您发送的“SY2026110300012”不是有效的受理编号。受理编号共16位")
    assert "例如 SY20261103000123" in text


def test_business_system_down_mid_flow_gets_a_polite_answer_and_a_human(live: Live) -> None:
    number, _, _ = _application(live)
    session = _session()
    assert _text(live.say(session, "查询进度")).startswith("请把受理编号发给我")
    live.stack.stop("business")
    try:
        started = time.monotonic()
        reply = live.say(session, number)
        took = time.monotonic() - started
    finally:
        live.stack.start("business", say=lambda _: None)
    assert _text(reply).startswith("抱歉，业务系统暂时无法查询或办理")
    assert HUMAN in reply["messages"][0]["buttons"]
    assert took < 10   # the action answers within 3 s; the rest is Rasa and the gateway
    # Back up: the same question is answered again.
    assert _text(live.say(session, number)).startswith(f"受理编号 {number}（")


def test_complaint_intake_ends_with_a_ticket_number(live: Live) -> None:
    session = _session()
    steps = [("我要举报公司拖欠工资", "用人单位名称"),
             ("北京宏远建筑工程有限公司", "发生了什么"),
             ("拖欠我们十二个人三个月工资", "哪里"),
             ("朝阳区望京某工地", "什么时候"),
             ("今年8月开始", "金额"),
             ("18000", "确认提交吗")]
    for said, asked in steps:
        text = _text(live.say(session, said))
        assert asked in text, (said, text)
    assert "北京宏远建筑工程有限公司" in text and "18000元" in text
    done = _text(live.say(session, "是"))
    assert done.startswith("已为您登记举报，工单号：GD") and "答复期限：" in done
    ticket = done.split("工单号：")[1][:16]
    with sqlite3.connect(live.state / "business.db") as db:
        row = db.execute("SELECT kind, summary FROM tickets WHERE no = ?", (ticket,)).fetchone()
    assert row[0] == "report" and "北京宏远建筑工程有限公司" in row[1]
    # The new ticket's status can be asked for.
    status = _text(live.say(_session(), f"查询工单 {ticket}"))
    assert status.startswith(f"工单 {ticket}（举报）当前状态：已登记，答复期限：")


def test_complaint_can_be_cancelled(live: Live) -> None:
    session = _session()
    assert "用人单位名称" in _text(live.say(session, "我要投诉"))
    assert "发生了什么" in _text(live.say(session, "某某物业公司"))
    assert "已取消本次投诉举报登记" in _text(live.say(session, "取消"))
    # The form is over: a greeting is answered as a greeting.
    assert "12333" in _text(live.say(session, "你好"))


def test_jd_keyword_by_sms_gets_progress_in_segments(live: Live) -> None:
    number, _, _ = _application(live)
    phone = "13912340001"
    fake = f"http://127.0.0.1:{live.stack.ports.sms}"
    pushed = httpx.post(fake + "/_fake/uplink", timeout=30, json={
        "provider": "aliyun", "phone": phone, "text": f"jd {number.lower()}"})
    assert pushed.json() == {"status": 200, "body": {"code": 0, "msg": "接收成功"}}

    def sent() -> list[dict[str, Any]]:
        return list(httpx.get(fake + "/_fake/messages", params={"phone": phone}, timeout=10)
                    .json()["messages"])

    [sms] = wait_for(sent, 60, "the SMS reply")
    assert sms["text"].startswith(f"受理编号 {number}（")
    parts = sms["parts"]
    assert parts[0].startswith("【12333】") and "".join(parts) == "【12333】" + sms["text"]
    assert len(parts[0]) <= 70 if len(parts) == 1 else all(len(p) <= 67 for p in parts)
