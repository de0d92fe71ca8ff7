"""SMS and WeChat never leave a citizen with a link as the only way forward (issue 16):
a link-only reply also names the hotline; one with a number or numbered choices is kept."""

from __future__ import annotations

from typing import Callable

import pytest

from channels import reachable
from channels.adapters.sms import SmsAdapter
from channels.inbound import BotReply
from channels.sms import segments
from channels.wechat import messages

Render = Callable[[BotReply], str]
LINK_ONLY = "请登录 https://si.12333.gov.cn 在线办理。"
META = {"intent": "faq", "faq_id": None}


def reply(text: str, buttons: list[dict[str, str]] | None = None) -> BotReply:
    message: dict[str, object] = {"text": text}
    if buttons:
        message["buttons"] = buttons
    return BotReply("m1", [message], META)


@pytest.mark.parametrize("render", [
    lambda r: SmsAdapter().render(r).text,
    lambda r: "\n".join(messages.render(r).parts),
], ids=["sms", "wechat"])
def test_a_link_only_reply_also_gives_the_hotline(render: Render) -> None:
    text = render(reply(LINK_ONLY))
    assert "https://si.12333.gov.cn" in text
    assert reachable.CALL_HOTLINE in text
    assert not reachable.link_only(text)


@pytest.mark.parametrize("render", [
    lambda r: SmsAdapter().render(r).text,
    lambda r: "\n".join(messages.render(r).parts),
], ids=["sms", "wechat"])
def test_a_reply_with_a_number_or_choices_is_left_alone(render: Render) -> None:
    with_phone = "请登录 https://si.12333.gov.cn 办理，或拨打0571-12345678咨询。"
    assert reachable.CALL_HOTLINE not in render(reply(with_phone))
    choices = render(reply(LINK_ONLY, [{"title": "转人工", "payload": "/request_human"}]))
    assert reachable.CALL_HOTLINE not in choices and "1." in choices and "转人工" in choices


def test_the_hotline_line_survives_an_sms_cut_to_length() -> None:
    long_text = "说明" * 200 + LINK_ONLY
    sms = SmsAdapter(max_parts=2).render(reply(LINK_ONLY + "说明" * 200)).text
    assert len(sms) <= segments.capacity(2)
    assert sms.endswith(reachable.CALL_HOTLINE)
    assert reachable.way_forward(long_text) == reachable.CALL_HOTLINE


@pytest.mark.parametrize(("text", "expected"), [
    ("详见 www.mohrss.gov.cn", True),
    ("详见 https://si.12333.gov.cn", True),  # the 12333 in the address is no number to call
    ("详见 www.mohrss.gov.cn，或拨打12333", False),
    ("请拨打13800138000", False),
    ("没有链接也没有电话", False),
])
def test_link_only_is_told_apart(text: str, expected: bool) -> None:
    assert reachable.link_only(text) is expected
