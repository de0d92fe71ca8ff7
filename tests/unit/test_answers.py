"""Regional answers: the knowledge base's overrides reach the citizen of that region."""

from __future__ import annotations

import pytest

from channels.answers import Answers
from channels.inbound import BotReply
from hotline import paths, regions
from hotline.kb import load

KB = load(paths.ROOT / "nlu_data" / "kb")


@pytest.mark.parametrize(
    ("text", "province"),
    [("我在广州打工产假多少天", "广东省"), ("上海的产假", "上海市"), ("内蒙古呼和浩特", "内蒙古自治区"),
     ("俺是河南的", "河南省"), ("产假多少天", None), ("北京市朝阳区", "北京市")],
)
def test_region_is_found_in_the_question(text: str, province: str | None) -> None:
    assert regions.find(text) == province


def reply(faq_id: str) -> BotReply:
    entry = KB.by_id()[faq_id]
    return BotReply("m1", [{"text": entry.answer.full}], {"intent": "faq", "faq_id": faq_id})


def test_override_replaces_the_general_answer_for_that_region() -> None:
    answers = Answers(KB)
    general = reply("maternity_leave_basic")
    shanghai = answers.localise(general, answers.region_for(None, "我在上海产假多少天"), short=False)
    assert "158天" in shanghai.messages[0]["text"]
    assert "上海市人口与计划生育条例" in shanghai.messages[0]["text"]
    assert shanghai.meta["region"] == "上海市"
    guangdong = answers.localise(general, "广东省", short=True)
    assert "178天" in guangdong.messages[0]["text"] and len(guangdong.messages[0]["text"]) <= 130


def test_region_without_override_keeps_the_general_answer() -> None:
    answers = Answers(KB)
    general = reply("maternity_leave_basic")
    assert answers.localise(general, "河南省", short=False) == general
    assert answers.localise(general, "national", short=False) == general


def test_verified_region_wins_over_words_and_default() -> None:
    answers = Answers(KB, default_region="北京市")
    assert answers.region_for("广东省", "我在上海") == "广东省"
    assert answers.region_for("national", "我在上海") == "上海市"
    assert answers.region_for(None, "产假多少天") == "北京市"
