"""SMS length rules with the signature 【12333】 (7 characters) counted: 70 in one message,
67 a part once concatenated, at most ``max_parts`` parts, then cut with a pointer."""

from __future__ import annotations

import pytest

from channels.adapters.sms import SmsAdapter
from channels.inbound import BotReply
from channels.sms import segments
from channels.sms.segments import POINTER, SIGNATURE

assert len(SIGNATURE) == 7


@pytest.mark.parametrize(("text_length", "parts"), [
    (63, 1),    # 7 + 63 = 70: still one message
    (64, 2),    # 71: concatenated, two parts
    (127, 2),   # 134 = 2 × 67
    (128, 3),   # 135
    (194, 3),   # 201 = 3 × 67
    (195, 4),
])
def test_count_at_the_70_and_67_boundaries(text_length: int, parts: int) -> None:
    assert segments.count("字" * text_length) == parts


def test_parts_are_what_the_handset_receives() -> None:
    assert segments.parts("字" * 63) == [SIGNATURE + "字" * 63]
    two = segments.parts("字" * 64)
    assert [len(p) for p in two] == [67, 4] and two[0].startswith(SIGNATURE)
    assert [len(p) for p in segments.parts("字" * 127)] == [67, 67]
    assert [len(p) for p in segments.parts("字" * 128)] == [67, 67, 1]


def test_latin_characters_count_like_chinese_ones() -> None:
    assert segments.count("a" * 63) == 1 and segments.count("a" * 64) == 2


@pytest.mark.parametrize(("max_parts", "room"), [(1, 63), (2, 127), (3, 194)])
def test_text_that_fits_is_left_alone(max_parts: int, room: int) -> None:
    assert segments.capacity(max_parts) == room
    text = "字" * room
    assert segments.fit(text, max_parts=max_parts) == text
    assert segments.fit(text + "字", max_parts=max_parts) != text + "字"


def test_too_long_is_cut_at_a_sentence_end_and_points_to_the_full_answer() -> None:
    sentences = ["社保卡丢失后请立即挂失。", "可拨打12333或到社保卡服务网点办理。", "补卡需要本人身份证。"]
    text = "".join(sentences * 6)
    fitted = segments.fit(text, max_parts=2)
    assert segments.count(fitted) <= 2
    assert fitted.endswith(POINTER)
    body = fitted[: -len(POINTER)]
    assert body.endswith("。") and text.startswith(body)


def test_without_a_sentence_end_the_cut_is_marked() -> None:
    fitted = segments.fit("字" * 400, max_parts=3)
    assert segments.count(fitted) == 3 and len(SIGNATURE + fitted) <= 201
    assert fitted.endswith(segments.ELLIPSIS + POINTER)


def test_a_clause_end_is_the_second_choice() -> None:
    text = "，".join(["字" * 20] * 12)
    fitted = segments.fit(text, max_parts=2)
    assert segments.count(fitted) <= 2
    assert fitted.endswith("字" + segments.ELLIPSIS + POINTER)


def test_one_part_limit_still_fits_with_the_pointer() -> None:
    fitted = segments.fit("社保卡丢了怎么办？" * 20, max_parts=1)
    assert len(SIGNATURE + fitted) <= 70 and fitted.endswith(POINTER)


def test_buttons_become_numbered_options_that_survive_cutting() -> None:
    reply = BotReply("m1", [{"text": "请问您想问哪一项？" * 30,
                             "buttons": [{"title": "社保卡挂失", "payload": "/faq_a"},
                                         {"title": "转人工", "payload": "/request_human"}]}], {})
    rendered = SmsAdapter(max_parts=3).render(reply)
    assert segments.count(rendered.text) <= 3
    assert rendered.text.endswith("回复序号：\n1.社保卡挂失\n2.转人工")
    assert POINTER in rendered.text
    assert rendered.options == ("/faq_a", "/request_human")


def test_a_short_reply_is_one_message() -> None:
    rendered = SmsAdapter().render(BotReply("m1", [{"text": "您好！"}, {"text": "请问有什么可以帮您？"}], {}))
    assert rendered.text == "您好！\n请问有什么可以帮您？" and rendered.options == ()
    assert segments.count(rendered.text) == 1
