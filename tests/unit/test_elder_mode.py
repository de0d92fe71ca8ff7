"""Elder mode (适老化, issue 16) at the gateway: the short plain answer, jargon explained
in one line, 「听不懂？转人工」 offered; and the glossary and lint rules behind it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from channels.answers import HUMAN_OFFER, Answers
from channels.inbound import BotReply, InboundMessage
from hotline import paths
from hotline.kb import glossary, lint, load
from hotline.kb.compile import render
from tests.unit.conftest import FakeRasa

KB = load(paths.ROOT / "nlu_data" / "kb")
TERMS = glossary.load()
ANSWERED = "card_loss_report"


class FaqRasa(FakeRasa):
    """Rasa answering a real knowledge-base entry, as its trained responses would."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = super().__call__(request)
        if request.url.path.endswith("/webhook"):
            entry = KB.by_id()[ANSWERED]
            return httpx.Response(200, json={"messages": [{"text": render(entry.answer, short=False)}],
                                             "meta": {"intent": "faq", "faq_id": ANSWERED}})
        return response


@pytest.fixture
def rasa() -> FakeRasa:
    return FaqRasa()


def faq_reply(faq_id: str, **meta: object) -> BotReply:
    entry = KB.by_id()[faq_id]
    return BotReply("m1", [{"text": entry.answer.full}], {"intent": "faq", "faq_id": faq_id, **meta})


def test_elder_answer_is_the_short_form_with_jargon_explained_and_a_human_offered() -> None:
    entry = KB.by_id()["pension_contribution_gap"]  # 断缴 (the question), 个人账户, 灵活就业, 补缴
    plain = Answers(KB).plain(faq_reply(entry.id), "national")
    text = plain.messages[0]["text"]
    assert text.startswith(render(entry.answer, short=True))
    assert len(text) < len(entry.answer.full)
    lines = text.split("\n")[1:]
    assert [line.split("】")[0] for line in lines] == ["【个人账户", "【灵活就业"]
    assert lines[0] == "【个人账户】" + next(t.explain for t in TERMS.terms if t.term == "个人账户")
    assert plain.messages[-1]["buttons"][-1] == HUMAN_OFFER


def test_a_question_about_a_term_is_not_explained_twice() -> None:
    entry = KB.by_id()["pension_deemed_contribution"]
    assert "视同缴费年限" in entry.title
    text = Answers(KB).plain(faq_reply(entry.id), "national").messages[0]["text"]
    assert "【视同缴费年限】" not in text


def test_no_second_offer_while_a_human_or_a_form_is_on_the_way() -> None:
    answers = Answers(KB)
    handoff = answers.plain(faq_reply(ANSWERED, handoff=True), "national")
    assert "buttons" not in handoff.messages[-1]
    verify = BotReply("m1", [{"text": "请先实名认证", "custom": {"type": "verify"}}], {"intent": "x"})
    assert answers.plain(verify, "national").messages == verify.messages
    clarify = BotReply("m1", [{"text": "您想问的是？", "buttons": [{"title": "都不是，转人工",
                                                                 "payload": "转人工"}]}], {})
    assert answers.plain(clarify, "national").messages == clarify.messages


def test_regional_override_is_kept_in_plain_form() -> None:
    plain = Answers(KB).plain(faq_reply("maternity_leave_basic"), "广东省")
    assert "178天" in plain.messages[0]["text"]


def test_glossary_prefers_the_longer_term_and_keeps_the_order_of_use() -> None:
    used = TERMS.used_in("过渡性养老金和个人账户养老金，另有个人账户", limit=9)
    assert [t.term for t in used] == ["过渡性养老金", "个人账户养老金", "个人账户"]
    assert TERMS.explain("今天天气很好") == ""


def test_glossary_itself_is_clean_and_its_rules_bite() -> None:
    assert glossary.check(TERMS) == []
    bad = glossary.parse([{"term": "断缴", "explain": "长" * 61}, {"term": "x", "also": ["断缴"],
                                                                   "explain": "y"}])
    problems = glossary.check(bad)
    assert any("超过 60 字" in p for p in problems) and any("重复" in p for p in problems)


@pytest.mark.parametrize(("short", "needle"), [
    ("第一步带身份证。\n第二步填表。", "列表"),
    ("1. 带身份证 2. 填表", "列表"),
    ("流动人员的人事档案应存放在户籍地或工作单位所在地县级以上公共就业和人才服务机构", "不停顿"),
    ("基础养老金、个人账户养老金、过渡性养老金和计发月数", "4 个术语"),
])
def test_lint_reports_short_answers_that_are_not_plain(short: str, needle: str) -> None:
    assert any(needle in p for p in lint.plain_wording(short, "", TERMS))


def test_lint_accepts_a_plain_short_answer(tmp_path: Path) -> None:
    assert lint.plain_wording("带身份证到社保卡服务网点办理，也可以拨打12333。", "", TERMS) == []


def test_elder_flag_survives_the_stream() -> None:
    message = InboundMessage("webchat", "c1", "m1", text="你好", elder=True)
    assert InboundMessage.from_fields(message.to_fields()).elder is True
    assert InboundMessage.from_fields(InboundMessage("webchat", "c1", "m2").to_fields()).elder is False


def test_web_chat_api_answers_plainly_when_asked(client: TestClient, rasa: FakeRasa) -> None:
    entry = KB.by_id()[ANSWERED]
    normal = client.post("/api/v1/webchat/messages", json={"session_id": "s1", "text": "社保卡丢了"}).json()
    assert normal["messages"][0]["text"] == render(entry.answer, short=False)
    assert normal["messages"][0]["buttons"] == []
    elder = client.post("/api/v1/webchat/messages",
                        json={"session_id": "s2", "text": "社保卡丢了", "elder": True}).json()
    assert elder["messages"][0]["text"].startswith(entry.answer.short)
    assert elder["messages"][-1]["buttons"][-1] == HUMAN_OFFER


def test_web_chat_socket_carries_the_elder_flag(client: TestClient, rasa: FakeRasa) -> None:
    entry = KB.by_id()[ANSWERED]
    with client.websocket_connect("/api/v1/webchat/ws?session_id=s3") as ws:
        assert ws.receive_json()["type"] == "ready"
        ws.send_json({"type": "message", "message_id": "m-9", "text": "社保卡丢了", "elder": True})
        frame = ws.receive_json()
        while frame["type"] != "reply":
            frame = ws.receive_json()
    assert frame["messages"][0]["text"].startswith(entry.answer.short)
    assert frame["messages"][-1]["buttons"][-1] == HUMAN_OFFER
