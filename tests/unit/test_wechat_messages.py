"""Reading every kind of callback, and writing replies for WeChat: plain data in and out."""

from __future__ import annotations

import pytest
import xmltodict

from channels.adapters.wechat import (
    EMPTY,
    TOO_LONG,
    UNKNOWN_MENU,
    UNSUPPORTED,
    VOICE_UNRECOGNISED,
    WELCOME,
    Local,
    Turn,
    WeChatAdapter,
)
from channels.inbound import BotReply
from channels.wechat import menu, messages
from channels.wechat.errors import MalformedRequestError

HEAD = ("<xml><ToUserName><![CDATA[gh_12333]]></ToUserName><FromUserName><![CDATA[oUser1]]>"
        "</FromUserName><CreateTime>1700000000</CreateTime>")
MENU = {"REQUEST_HUMAN": "/request_human", "POLICY_CARD": "社保卡丢了怎么挂失补办"}


def xml(body: str) -> str:
    return f"{HEAD}{body}</xml>"


CASES = {
    "text": xml("<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[ 失业金怎么领 ]]></Content>"
                "<MsgId>1234567890123456</MsgId>"),
    "voice": xml("<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media1]]></MediaId>"
                 "<Format><![CDATA[amr]]></Format><Recognition><![CDATA[社保卡怎么办]]></Recognition>"
                 "<MsgId>1234567890123457</MsgId>"),
    "voice_bare": xml("<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media2]]></MediaId>"
                      "<Format><![CDATA[speex]]></Format><MsgId>1234567890123458</MsgId>"),
    "image": xml("<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/p.jpg]]></PicUrl>"
                 "<MediaId><![CDATA[m3]]></MediaId><MsgId>3</MsgId>"),
    "video": xml("<MsgType><![CDATA[video]]></MsgType><MediaId><![CDATA[m4]]></MediaId>"
                 "<ThumbMediaId><![CDATA[t4]]></ThumbMediaId><MsgId>4</MsgId>"),
    "shortvideo": xml("<MsgType><![CDATA[shortvideo]]></MsgType><MediaId><![CDATA[m5]]></MediaId>"
                      "<ThumbMediaId><![CDATA[t5]]></ThumbMediaId><MsgId>5</MsgId>"),
    "location": xml("<MsgType><![CDATA[location]]></MsgType><Location_X>39.9</Location_X>"
                    "<Location_Y>116.3</Location_Y><Scale>15</Scale><Label><![CDATA[北京]]></Label>"
                    "<MsgId>6</MsgId>"),
    "link": xml("<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[t]]></Title><Description>"
                "<![CDATA[d]]></Description><Url><![CDATA[http://x]]></Url><MsgId>7</MsgId>"),
    "unknown": xml("<MsgType><![CDATA[hologram]]></MsgType><MsgId>8</MsgId>"),
    "subscribe": xml("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"),
    "subscribe_qr": xml("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
                        "<EventKey><![CDATA[qrscene_123]]></EventKey><Ticket><![CDATA[tk]]></Ticket>"),
    "unsubscribe": xml("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event>"),
    "click": xml("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>"
                 "<EventKey><![CDATA[REQUEST_HUMAN]]></EventKey>"),
    "click_unknown": xml("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>"
                         "<EventKey><![CDATA[GONE]]></EventKey>"),
    "view": xml("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[VIEW]]></Event>"
                "<EventKey><![CDATA[https://www.mohrss.gov.cn/]]></EventKey>"),
    "odd_event": xml("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[some_new_event]]></Event>"),
    "location_event": xml("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[LOCATION]]></Event>"
                          "<Latitude>23.1</Latitude><Longitude>113.3</Longitude><Precision>119</Precision>"),
}


@pytest.mark.parametrize(("case", "kind", "expected"), [
    ("text", "text", Turn("失业金怎么领")),
    ("voice", "voice", Turn("社保卡怎么办")),
    ("voice_bare", "voice", Local(VOICE_UNRECOGNISED)),
    ("image", "image", Local(UNSUPPORTED)),
    ("video", "video", Local(UNSUPPORTED)),
    ("shortvideo", "shortvideo", Local(UNSUPPORTED)),
    ("location", "location", Local(UNSUPPORTED)),
    ("link", "link", Local(UNSUPPORTED)),
    ("unknown", "unknown", Local(UNSUPPORTED)),
    ("subscribe", "event", Local(WELCOME)),
    ("subscribe_qr", "event", Local(WELCOME)),
    ("unsubscribe", "event", Local()),
    ("click", "event", Turn(payload="/request_human")),
    ("click_unknown", "event", Local(UNKNOWN_MENU)),
    ("view", "event", Local()),
    ("location_event", "event", Local()),
    ("odd_event", "event", Local()),
])
def test_every_kind_of_callback_is_read_and_planned(case: str, kind: str, expected: object) -> None:
    message = messages.parse(CASES[case])
    assert message.kind == kind
    assert message.openid == "oUser1" and message.account == "gh_12333" and message.created == 1700000000
    assert WeChatAdapter().plan(message, MENU) == expected


def test_fields_of_messages_and_events() -> None:
    text = messages.parse(CASES["text"])
    assert (text.msg_id, text.text) == ("1234567890123456", "失业金怎么领")
    voice = messages.parse(CASES["voice_bare"])
    assert (voice.media_id, voice.voice_format, voice.text) == ("media2", "speex", "")
    click = messages.parse(CASES["click"])
    assert (click.event, click.event_key, click.msg_id) == ("click", "REQUEST_HUMAN", "")
    assert messages.parse(CASES["subscribe_qr"]).event == "subscribe"
    assert "oUser1" not in repr(text)  # the OpenID stays out of logs and tracebacks


@pytest.mark.parametrize("bad", ["", "not xml", "<xml><MsgType>text</MsgType></xml>",
                                 "<xml><FromUserName>o</FromUserName></xml>", "<other/>",
                                 xml("<MsgType><![CDATA[text]]></MsgType><MsgId>abc</MsgId>")])
def test_unreadable_callbacks_are_refused(bad: str) -> None:
    with pytest.raises(MalformedRequestError):
        messages.parse(bad)


def test_empty_and_overlong_texts_are_answered_locally() -> None:
    adapter = WeChatAdapter()
    empty = messages.parse(xml("<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[  ]]></Content>"
                               "<MsgId>9</MsgId>"))
    long = messages.parse(xml(f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{'问' * 501}]]>"
                              "</Content><MsgId>10</MsgId>"))
    assert adapter.plan(empty, MENU) == Local(EMPTY)
    assert adapter.plan(long, MENU) == Local(TOO_LONG)


def reply(*messages_: dict, **meta: object) -> BotReply:
    return BotReply("m1", list(messages_), dict(meta))


def test_buttons_become_numbered_choices() -> None:
    out = messages.render(reply({"text": "您想了解哪一项？", "buttons": [
        {"title": "失业保险金申领条件", "payload": "/faq_unemployment_conditions"},
        {"title": "转人工", "payload": "/request_human"}]}))
    assert out.parts == ("您想了解哪一项？\n回复数字选择：\n1. 失业保险金申领条件\n2. 转人工",)
    assert out.choices == ("/faq_unemployment_conditions", "/request_human")
    assert messages.pick("2", out.choices) == "/request_human"
    assert messages.pick(" １ ", out.choices) == "/faq_unemployment_conditions"  # full-width digit
    assert messages.pick("3", out.choices) is None
    assert messages.pick("0", out.choices) is None
    assert messages.pick("12", out.choices) is None
    assert messages.pick("第1个", out.choices) is None


def test_texts_and_the_queue_position_are_joined() -> None:
    out = messages.render(reply({"text": "正在为您转接人工客服。"}, {"custom": {"type": "handoff"}},
                                handoff_status={"message": "已为您排队，您是下一位。"}))
    assert out.parts == ("正在为您转接人工客服。\n已为您排队，您是下一位。",)
    assert out.choices == ()
    assert messages.render(reply({"custom": {"type": "handoff"}})).parts == ()


def test_long_answers_are_split_at_sentences_within_the_byte_limit() -> None:
    sentence = "参保人员达到法定退休年龄且累计缴费满十五年的，按月领取基本养老金。"
    out = messages.render(reply({"text": sentence * 50, "buttons": [{"title": "转人工", "payload": "/h"}]}))
    assert 1 < len(out.parts) <= messages.MAX_PARTS
    assert all(len(p.encode()) <= messages.TEXT_LIMIT_BYTES for p in out.parts)
    assert all(p.endswith(("。", "转人工")) for p in out.parts)
    assert out.parts[-1].endswith("回复数字选择：\n1. 转人工")
    assert "".join(out.parts).count(sentence) == 50


def test_an_answer_beyond_three_parts_is_cut_with_a_pointer_to_12333() -> None:
    parts = messages.split("一二三四五六七八九十。" * 1000)
    assert len(parts) == messages.MAX_PARTS
    assert parts[-1].endswith(messages.CUT_NOTICE)
    assert all(len(p.encode()) <= messages.TEXT_LIMIT_BYTES for p in parts)
    assert messages.split("") == []
    assert messages.split("x" * 5000, limit=2000) == ["x" * 2000, "x" * 2000, "x" * 1000]


def test_passive_reply_xml() -> None:
    message = messages.parse(CASES["text"])
    reply_xml = messages.passive_text(message, "答复]]>内容", now=1700000001)
    fields = xmltodict.parse(reply_xml)["xml"]
    assert fields == {"MsgType": "text", "Content": "答复]]>内容", "FromUserName": "gh_12333",
                      "ToUserName": "oUser1", "CreateTime": "1700000001"}


def test_the_shipped_menu_is_valid_and_maps_clicks_to_payloads() -> None:
    loaded = menu.load()
    payloads = menu.payloads(loaded)
    assert payloads["REQUEST_HUMAN"] == "/request_human"
    assert [b["name"] for b in loaded["button"]] == ["业务查询", "政策咨询", "人工服务"]
    sent = menu.for_wechat(loaded)
    leaves = [s for b in sent["button"] for s in b["sub_button"]]
    assert all("payload" not in leaf for leaf in leaves)
    assert {leaf["type"] for leaf in leaves} == {"click", "view"}


@pytest.mark.parametrize("bad", [
    {"button": []},
    {"button": [{"name": "一", "type": "click", "key": "K", "payload": "p"}] * 4},
    {"button": [{"name": "名字太长了超过五个字", "type": "click", "key": "K", "payload": "p"}]},
    {"button": [{"name": "查询", "sub_button": [{"name": "x", "type": "click", "key": "K"}]}]},
    {"button": [{"name": "查询", "sub_button": [{"name": "x", "type": "view", "url": "ftp://x"}]}]},
    {"button": [{"name": "查询", "sub_button": [{"name": "x", "type": "miniprogram"}]}]},
    {"button": [{"name": "查询", "sub_button": [{"name": f"x{i}", "type": "click", "key": f"K{i}",
                                                 "payload": "p"} for i in range(6)]}]},
])
def test_menus_beyond_wechats_limits_are_refused(bad: dict) -> None:
    with pytest.raises(menu.MenuError):
        menu.check(bad)
