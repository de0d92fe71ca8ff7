"""The keyword table (channels/sms/keywords.yml): Chinese words and pinyin initials."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.sms import keywords
from channels.sms.errors import KeywordTableError


@pytest.fixture(scope="module")
def table() -> keywords.KeywordTable:
    return keywords.load()


@pytest.mark.parametrize("message", ["JD SB202401010001", "jd+sb202401010001", "ＪＤ：SB202401010001",
                                     "进度 SB202401010001", "查询进度SB202401010001"])
def test_progress_with_a_reference_number_goes_to_the_nlu(table: keywords.KeywordTable, message: str) -> None:
    route = table.route(message)
    assert (route.kind, route.text, route.keyword) == ("dialogue", "查询进度 SB202401010001", "progress")


def test_progress_without_a_number_asks_for_it_locally(table: keywords.KeywordTable) -> None:
    route = table.route("jd")
    assert route.kind == "local" and "受理编号" in route.reply


@pytest.mark.parametrize("message", ["RG", "rg", "人工", "转人工。"])
def test_human_is_a_callback_request(table: keywords.KeywordTable, message: str) -> None:
    route = table.route(message)
    assert (route.kind, route.payload, route.keyword) == ("callback", None, "human")


def test_a_ticket_keyword_must_be_a_callback() -> None:
    with pytest.raises(KeywordTableError, match="ticket 只能是 callback"):
        keywords.parse({"keywords": [{"name": "x", "words": ["X"], "ticket": "complaint"}]})


@pytest.mark.parametrize("message", ["BZ", "帮助", "菜单", "?", "？", ""])
def test_help_is_answered_locally_with_the_menu(table: keywords.KeywordTable, message: str) -> None:
    route = table.route(message)
    assert route.kind == "local" and "TD" in route.reply and "JD" in route.reply


@pytest.mark.parametrize(("message", "kind"), [("TD", "optout"), ("退订", "optout"), ("td！", "optout"),
                                               ("HF", "optin"), ("恢复", "optin")])
def test_opt_out_and_back_in(table: keywords.KeywordTable, message: str, kind: str) -> None:
    assert table.route(message).kind == kind


def test_booking_keeps_what_follows(table: keywords.KeywordTable) -> None:
    assert table.route("YY").text == "我要预约"
    assert table.route("预约 社保卡补办").text == "我要预约社保卡补办"


@pytest.mark.parametrize(("message", "number"), [("1", 1), ("２", 2), (" 3。", 3)])
def test_a_single_digit_picks_an_option(table: keywords.KeywordTable, message: str, number: int) -> None:
    assert (table.route(message).kind, table.route(message).choice) == ("choice", number)


@pytest.mark.parametrize("message", ["社保卡丢了怎么办", "12", "0", "TDX", "帮助一下我查养老金"])
def test_anything_else_is_free_text_for_the_nlu(table: keywords.KeywordTable, message: str) -> None:
    route = table.route(message)
    assert (route.kind, route.text, route.keyword) == ("dialogue", message, "")


def test_a_table_needs_exactly_one_action_per_keyword() -> None:
    with pytest.raises(KeywordTableError, match="之一"):
        keywords.parse({"keywords": [{"name": "x", "words": ["X"], "reply": "a", "send_text": "b"}]})
    with pytest.raises(KeywordTableError, match="words"):
        keywords.parse({"keywords": [{"name": "x", "words": [], "reply": "a"}]})
    with pytest.raises(KeywordTableError, match="未知字段"):
        keywords.parse({"keywords": [{"name": "x", "words": ["X"], "reply": "a", "typo": 1}]})
    with pytest.raises(KeywordTableError, match="opt"):
        keywords.parse({"keywords": [{"name": "x", "words": ["X"], "send_text": "a", "opt": "out"}]})


def test_an_unreadable_file_is_a_keyword_table_error(tmp_path: Path) -> None:
    broken = tmp_path / "k.yml"
    broken.write_text("keywords: [", encoding="utf-8")
    with pytest.raises(KeywordTableError):
        keywords.load(broken)
