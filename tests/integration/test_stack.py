"""The foundation's promises, checked on the real running system."""

from __future__ import annotations

import json
import os
import signal
import time

import httpx

from hotline import signing
from tests.integration.conftest import Live, wait_for


def test_greeting_in_chinese_and_every_component_healthy(live: Live) -> None:
    reply = live.say("it-greet", "你好")
    assert reply["meta"]["intent"] == "greet"
    assert "您好" in reply["messages"][0]["text"]
    health = httpx.get(live.base + "/healthz", timeout=10)
    assert health.status_code == 200
    components = health.json()["components"]
    assert {name: components[name]["status"] for name in ("redis", "rasa", "actions")} == {
        "redis": "ok", "rasa": "ok", "actions": "ok"}


def test_policy_question_names_topic_faq_and_source(live: Live) -> None:
    reply = live.say("it-faq", "社保卡丢了怎么办")
    assert reply["meta"]["intent"] == "faq"
    assert reply["meta"]["topic"] == "card"
    assert reply["meta"]["faq_id"]
    assert "依据" in reply["messages"][0]["text"]


def test_asking_for_a_human_runs_the_action_server(live: Live) -> None:
    reply = live.say("it-human", "转人工")
    assert reply["meta"]["intent"] == "request_human"
    assert reply["meta"]["handoff"] is True
    assert "人工" in reply["messages"][0]["text"]


def test_rasa_refuses_requests_not_signed_by_the_gateway(live: Live) -> None:
    url = live.rasa + "/webhooks/hotline/webhook"
    body = json.dumps({"sender": "x", "text": "你好", "message_id": "u1"}).encode()
    assert httpx.post(url, content=body, timeout=10).status_code == 401
    forged = signing.sign(b"not-the-secret", body)
    assert httpx.post(url, content=body, headers=forged, timeout=10).status_code == 401
    genuine = signing.sign(live.secret("HOTLINE_SIGNING_SECRET").encode(), body)
    assert httpx.post(url, content=body, headers=genuine, timeout=30).status_code == 200
    # Rasa's stock REST channel stays off.
    assert httpx.post(live.rasa + "/webhooks/rest/webhook", json={"sender": "x", "message": "hi"},
                      timeout=10).status_code == 404


def test_message_accepted_before_a_gateway_crash_is_answered_once(live: Live) -> None:
    rasa = live.stack.services["rasa"].process
    gateway = live.stack.services["gateway"].process
    assert rasa is not None and gateway is not None
    os.killpg(rasa.pid, signal.SIGSTOP)  # Rasa hangs: the turn cannot finish
    try:
        held = live.say("it-crash", "失业金怎么领", message_id="m-crash")
        assert held["status"] == "deferred"
        os.killpg(gateway.pid, signal.SIGKILL)
        gateway.wait(10)
    finally:
        os.killpg(rasa.pid, signal.SIGCONT)
    live.stack.start("gateway", say=lambda _: None)

    def answered() -> list[dict]:
        return [r for r in live.replies("it-crash")
                if r["message_id"] == "m-crash" and r["status"] == "answered"]

    replies = wait_for(answered, 60, "the held message to be answered after restart")
    time.sleep(3)  # a second delivery, if any, would arrive by now
    assert len(answered()) == 1 == len(replies)
    assert replies[0]["meta"]["topic"] == "unemployment"
    conversation = signing.pseudonym(live.secret("HOTLINE_PSEUDONYM_SECRET").encode(),
                                     "webchat", "it-crash")
    tracker = live.redis_json(f"rasa:tracker:{conversation}")
    user_turns = [e for e in tracker["events"]
                  if e["event"] == "user" and e.get("message_id") == "m-crash"]
    assert len(user_turns) == 1


def test_rasa_down_polite_answer_then_recovery_without_restart(live: Live) -> None:
    live.stack.stop("rasa")
    try:
        assert httpx.get(live.base + "/healthz", timeout=10).status_code == 503
        started = time.monotonic()
        held = live.say("it-down", "退休年龄怎么算", message_id="m-down")
        assert time.monotonic() - started < 5
        assert held["status"] == "deferred"
        assert "12333" in held["messages"][0]["text"]
    finally:
        live.stack.start("rasa", say=lambda _: None)
    wait_for(lambda: httpx.get(live.base + "/healthz", timeout=10).status_code == 200, 30,
             "health to recover")
    assert live.say("it-down", "你好")["meta"]["intent"] == "greet"
    wait_for(lambda: any(r["message_id"] == "m-down" and r["status"] == "answered"
                         for r in live.replies("it-down")), 60, "the held message's answer")


def test_citizen_region_changes_the_answer(live: Live) -> None:
    # The entry's own title, so that this tests regional answers, not understanding.
    general = live.say("it-region-1", "女职工产假有多少天")
    shanghai = live.say("it-region-2", "我在上海，女职工产假有多少天")
    assert general["meta"]["faq_id"] == shanghai["meta"]["faq_id"] == "maternity_leave_basic"
    assert "98天" in general["messages"][0]["text"] and "158天" not in general["messages"][0]["text"]
    assert "158天" in shanghai["messages"][0]["text"]
    assert "上海市人口与计划生育条例" in shanghai["messages"][0]["text"]


def test_unclear_question_offers_the_closest_questions_then_answers_the_choice(live: Live) -> None:
    unsure = live.say("it-clarify", "保险")
    assert unsure["meta"]["intent"] == "nlu_fallback"
    buttons = unsure["messages"][0]["buttons"]
    assert len(buttons) == 4 and buttons[-1]["payload"] == "转人工"
    chosen = live.say("it-clarify", buttons[0]["payload"])
    assert chosen["meta"]["intent"] == "faq"
    assert "依据" in chosen["messages"][0]["text"]


def test_asking_to_verify_starts_the_form_at_the_edge(live: Live) -> None:
    started = live.say("it-verify", "我要实名认证")
    assert started["meta"]["intent"] == "verify_identity"
    assert "个人信息告知" in started["messages"][0]["text"]
    assert "身份证号码" in started["messages"][0]["text"]
    # The next message belongs to the form, not to Rasa: a bad number is explained.
    wrong = live.say("it-verify", "110105194912310021")
    assert "校验位不正确" in wrong["messages"][0]["text"]
    assert "已退出" in live.say("it-verify", "取消")["messages"][0]["text"]
    assert live.say("it-verify", "你好")["meta"]["intent"] == "greet"
