"""Text around speech: what the dialogue sees of a recognised utterance, and how the bot's
numbers are read aloud."""

from __future__ import annotations

import pytest

from speech.text import after_recognition, cardinal, for_speech


@pytest.mark.parametrize(("heard", "meant"), [
    ("楊老抱歉怎麼腳廢", "养老保险怎么缴费"),          # measured: Traditional output and three confusions
    ("请问要老抱歉每个月要交费多少钱", "请问养老保险每个月要交费多少钱"),
    ("那样老金怎么领", "养老金怎么领"),
    ("工商认定要多久", "工伤认定要多久"),
    ("我的一宝卡丢了", "我的医保卡丢了"),
    ("失业抱歉怎么申请", "失业保险怎么申请"),
    ("设保卡怎么挂失", "社保卡怎么挂失"),
    ("射爆卡丢了怎么办", "社保卡丢了怎么办"),
    ("设宝卡怎么补办", "社保卡怎么补办"),
    ("我想查一下让老爆线脚背机录", "我想查一下养老保险缴费机录"),   # bench/voice.py, over G.711
    ("工商硬定需要哪些材料", "工伤认定需要哪些材料"),
    ("西叶金怎么领起", "失业金怎么领起"),
    ("依保可以一滴爆消吗", "医保可以异地报销吗"),
])
def test_domain_words_are_corrected(heard: str, meant: str) -> None:
    assert after_recognition(heard) == meant


@pytest.mark.parametrize("kept", ["抱歉打扰了", "我去工商局办营业执照", "一二三木头人", "这是第一次"])
def test_ordinary_words_are_left_alone(kept: str) -> None:
    assert after_recognition(kept) == kept


@pytest.mark.parametrize(("heard", "digits"), [
    ("请拨打幺二三三三", "请拨打12333"),
    ("身份证号一一零一零一一九九零零一零一一二三四叉", "身份证号110101199001011234X"),
    ("手机号幺三八洞洞洞洞五六七八", "手机号13800005678"),
])
def test_spoken_digits_become_digits(heard: str, digits: str) -> None:
    assert after_recognition(heard) == digits


@pytest.mark.parametrize(("written", "spoken"), [
    ("请拨打12333", "请拨打幺二三三三"),
    ("2024年3月5日起", "二零二四年三月五日起"),
    ("每月1500元", "每月一千五百元"),
    ("10万元", "十万元"),
    ("共305天", "共三百零五天"),
    ("费率0.5%", "费率百分之零点五"),
    ("身份证号11010119900101123X", "身份证号幺幺零幺零幺幺九九零零幺零幺幺二三叉"),
    ("拨打12393咨询医保", "拨打幺二三九三咨询医保"),
])
def test_numbers_are_read_the_hotline_way(written: str, spoken: str) -> None:
    assert for_speech(written) == spoken


@pytest.mark.parametrize(("value", "spoken"), [(0, "零"), (10, "十"), (15, "十五"), (110, "一百一十"),
                                                (10005, "一万零五"), (120000, "十二万")])
def test_cardinals(value: int, spoken: str) -> None:
    assert cardinal(value) == spoken
