"""Human handoff on the real stack (issue 10, "Done when"): a citizen in the widget and an
agent in the workspace, each in their own Chromium context; a WeChat follower answered by
an agent through the customer-service API of the fake WeChat API."""

from __future__ import annotations

import secrets
import sqlite3
import time
from typing import Any

import httpx
import jwt
import pytest
from playwright.sync_api import Browser, Page, expect

from hotline import browser as chrome
from hotline import signing
from tests.integration.conftest import PORTAL_JWT_KEY, Live, wait_for
from tests.integration.test_wechat import _callback, _conversation, _fake, _post

pytestmark = pytest.mark.integration


def _portal_token(live: Live) -> tuple[str, str]:
    """A portal login for a demo person (name and 身份证号 from the reference system)."""
    with sqlite3.connect(live.state / "business.db") as db:
        name, id_number = db.execute(
            "SELECT name, id_number FROM persons ORDER BY id DESC LIMIT 1").fetchone()
    claims = {"sub": "portal-user-7", "aud": "12333-webchat", "level": "verified", "name": name,
              "id_number": id_number, "exp": int(time.time()) + 600}
    return jwt.encode(claims, PORTAL_JWT_KEY, algorithm="HS256"), str(name)


def _agent_login(page: Page, live: Live) -> None:
    page.goto(live.base + "/agent/")
    page.get_by_label("用户名").fill("agent")
    page.get_by_label("密码").fill(live.secret("STAFF_AGENT_PASSWORD"))
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-agent=who]")).to_contain_text("演示坐席", timeout=15_000)


def test_citizen_and_agent_in_two_browsers(live: Live, chromium: Browser) -> None:
    citizen_context = chrome.new_context(chromium, "desktop")
    citizen = citizen_context.new_page()
    citizen.goto(live.base + "/")
    chrome.open_widget(citizen)
    token, name = _portal_token(live)
    citizen.evaluate("t => window.Hotline12333.login(t)", token)
    expect(citizen.locator("[data-hotline=login]")).to_contain_text(name[0] + "*", timeout=10_000)
    assert "依据" in chrome.ask(citizen, "失业保险金怎么申领")
    citizen.locator("[data-hotline=human]").click()
    expect(citizen.locator("[data-hotline=handoff]")).to_contain_text("已为您排队",
                                                                     timeout=chrome.ANSWER_TIMEOUT_MS)
    session = citizen.evaluate("() => window.Hotline12333.session()")
    conversation = signing.pseudonym(live.secret("HOTLINE_PSEUDONYM_SECRET").encode(), "webchat", session)

    agent_context = chrome.new_context(chromium, "desktop")
    agent = agent_context.new_page()
    _agent_login(agent, live)
    waiting = agent.locator(f"[data-agent=queue] li[data-conversation='{conversation}']")
    expect(waiting).to_be_visible(timeout=10_000)
    waiting.locator("[data-agent=accept]").click()

    pop = agent.locator("[data-agent=screen-pop]")
    expect(pop).to_be_visible()
    identity = agent.locator("[data-agent=identity]")
    expect(identity).to_contain_text("已实名核验")
    expect(identity).to_contain_text(name[0] + "*")
    expect(identity).to_contain_text("*" * 8)  # the 身份证号, masked
    transcript = agent.locator("[data-agent=transcript]")
    expect(transcript).to_contain_text("失业保险金怎么申领")
    expect(citizen.locator("[data-hotline=handoff]")).to_contain_text("人工客服已接入", timeout=10_000)

    agent.locator("[data-agent=reply-input]").fill("您好，失业保险金可以在线申领，我来帮您看一下。")
    agent.locator("[data-agent=send]").click()
    from_agent = citizen.locator("[data-hotline=message][data-sender=agent]")
    expect(from_agent.last).to_contain_text("我来帮您看一下", timeout=10_000)

    agent.locator("[data-agent=close-summary]").fill("失业保险金申领咨询，已解答")
    agent.locator("[data-agent=close]").click()
    expect(pop).to_be_hidden(timeout=10_000)

    rating = citizen.locator("[data-hotline=rating]")
    expect(rating).to_be_visible(timeout=10_000)
    rating.locator("button[data-score='5']").click()
    expect(rating).to_contain_text("感谢您的评价")
    answer = chrome.ask(citizen, "社保卡丢了怎么办")
    assert "依据" in answer and "人工客服" not in answer

    store_ratings = _ratings(live)
    assert {"score": "5", "kind": "human", "conversation": conversation} in [
        {k: r[k] for k in ("score", "kind", "conversation")} for r in store_ratings]
    agent_context.close()
    citizen_context.close()


def _ratings(live: Live) -> list[dict[str, Any]]:
    import redis

    client = redis.Redis.from_url(live.stack.redis_url, decode_responses=True)
    rows: Any = client.xrange("events:satisfaction")
    client.close()
    return [fields for _, fields in rows]


def _texts(fake: str, openid: str) -> list[str]:
    sent = httpx.get(f"{fake}/_fake/messages", params={"touser": openid}, timeout=5).json()
    return [str(m.get("content") or "") for m in sent]


def test_a_wechat_follower_gets_the_agents_reply_through_the_customer_service_api(live: Live) -> None:
    fake = _fake(live)
    openid = "oHandoff" + secrets.token_hex(10)
    _post(live, _callback(live, openid, "转人工", msg_id=7_100_000_001))
    conversation = _conversation(live, openid)

    with httpx.Client(base_url=live.base, timeout=10) as agent:  # closed even on failure
        login = agent.post("/api/v1/agent/login",
                           json={"username": "agent", "password": live.secret("STAFF_AGENT_PASSWORD")})
        assert login.status_code == 200
        headers = {"X-CSRF-Token": login.json()["csrf"]}

        def queued() -> bool:
            waiting = agent.get("/api/v1/agent/queue").json()["waiting"]
            return any(w["conversation"] == conversation for w in waiting)

        wait_for(queued, 30, "the WeChat conversation in the agents' queue")
        accepted = agent.post(f"/api/v1/agent/conversations/{conversation}/accept", headers=headers)
        assert accepted.status_code == 200
        said = agent.post(f"/api/v1/agent/conversations/{conversation}/messages", headers=headers,
                          json={"text": "您好，这里是12333人工客服，请问社保卡遇到什么问题？"})
        assert said.status_code == 200

        def delivered() -> list[str]:
            return [t for t in _texts(fake, openid) if "社保卡遇到什么问题" in t]

        assert wait_for(delivered, 20, "the agent's reply at the fake WeChat API")

        # The follower's next words reach the agent, not the bot.
        _post(live, _callback(live, openid, "我的卡消磁了", msg_id=7_100_000_002))

        def heard() -> bool:
            pop = agent.get(f"/api/v1/agent/conversations/{conversation}").json()
            return any(line["text"] == "我的卡消磁了" for line in pop["handoff_log"])

        wait_for(heard, 20, "the follower's message in the agent's screen-pop")
        closed = agent.post(f"/api/v1/agent/conversations/{conversation}/close", headers=headers,
                            json={"summary": "社保卡消磁，告知补办", "outcome": "resolved"})
        assert closed.status_code == 200

        def rating_asked() -> list[str]:
            return [t for t in _texts(fake, openid) if "回复数字" in t]

        assert wait_for(rating_asked, 20, "the rating question in WeChat's idiom")
        _post(live, _callback(live, openid, "4", msg_id=7_100_000_003))
        wait_for(lambda: any(r["conversation"] == conversation and r["score"] == "4"
                             and r["channel"] == "wechat" for r in _ratings(live)),
                 20, "the WeChat rating recorded")
