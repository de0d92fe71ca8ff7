"""Dates and times as citizens say them ("明天下午两点", "下周三上午", "11月5日9点半"),
for booking at a service hall. Pure: the caller passes "now" (Beijing time) and holidays.

Only working days count (Monday–Friday minus holidays); a day or time already past is
refused with a Chinese reason (``DateError.message``) fit to say as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Collection

BEIJING = dt.timezone(dt.timedelta(hours=8))
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9, "十": 10}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RELATIVE = {"前天": -2, "昨天": -1, "今天": 0, "明天": 1, "后天": 2, "大后天": 3}
_NUM = r"[0-9零〇一二两三四五六七八九十]{1,3}"
_WEEK = re.compile(r"(下下|下|这|本)?(?:周|星期|礼拜)([一二三四五六日天])")
_MONTH_DAY = re.compile(rf"(?:(\d{{4}})年)?({_NUM})月({_NUM})[日号]?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_PERIOD = re.compile(r"上午|早上|中午|下午|傍晚|晚上")
_CLOCK = re.compile(rf"({_NUM})(?:[点时:：]({_NUM}|半)?)(?:分)?")


class DateError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class When:
    date: dt.date
    time: dt.time | None = None
    period: str | None = None   # 上午 / 下午 when no clock time was said


def number(text: str) -> int:
    """"12", "十二", "二十三", "两" → int."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    value = 0
    for char in text:
        value = value * 10 + _DIGITS[char]
    return value


def _day(text: str, today: dt.date) -> dt.date | None:
    for word in sorted(_RELATIVE, key=len, reverse=True):
        if word in text:
            return today + dt.timedelta(days=_RELATIVE[word])
    if match := _WEEK.search(text):
        weeks = {"下下": 2, "下": 1}.get(match.group(1) or "", 0)
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks)
        day = monday + dt.timedelta(days=_WEEKDAYS[match.group(2)])
        if match.group(1) is None and day < today:   # a bare "周三" means the coming one
            day += dt.timedelta(weeks=1)
        return day
    if match := _ISO.search(text):
        return _date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _MONTH_DAY.search(text):
        year = int(match.group(1)) if match.group(1) else today.year
        day = _date(year, number(match.group(2)), number(match.group(3)))
        if not match.group(1) and day < today - dt.timedelta(days=180):
            day = _date(year + 1, day.month, day.day)   # "1月5日" said in December
        return day
    return None


def _date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateError(f"{month}月{day}日不是有效的日期，"
                        "请重新说一下日期，例如“明天上午”或“11月5日”。") from None


def _time(text: str, period: str | None) -> dt.time | None:
    match = _CLOCK.search(_MONTH_DAY.sub("", _ISO.sub("", text)))
    if not match:
        return None
    hour = number(match.group(1))
    minute = 30 if match.group(2) == "半" else number(match.group(2)) if match.group(2) else 0
    if period in ("下午", "傍晚", "晚上") and hour < 12:
        hour += 12
    elif period == "中午" and hour < 6:
        hour += 12
    elif period is None and 1 <= hour <= 6:
        hour += 12   # "两点" at a service hall is 14:00
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DateError("没听清具体时间，请说一下几点，例如“下午两点”。")
    return dt.time(hour, minute)


def parse(text: str, now: dt.datetime, holidays: Collection[dt.date] = ()) -> When:
    """When ``text`` means, relative to ``now``; DateError when it means nothing usable."""
    local = now.astimezone(BEIJING)
    day = _day(text, local.date())
    if day is None:
        raise DateError("没听清您想约哪一天，请说一下日期，例如“明天上午”“下周三下午两点”或“11月5日”。")
    found = _PERIOD.search(text)
    period = found.group(0) if found else None
    clock = _time(text, period)
    if day < local.date() or (day == local.date() and clock is not None and clock <= local.time()):
        raise DateError(f"{day.month}月{day.day}日{'' if clock is None else f'{clock:%H:%M}'}已经过去了，"
                        "请选一个以后的时间。")
    if day.weekday() >= 5 or day in holidays:
        raise DateError(f"{day.month}月{day.day}日不是工作日，服务大厅不办公，请选一个工作日。")
    return When(day, clock, None if clock else {"早上": "上午", "中午": "下午", "傍晚": "下午",
                                                "晚上": "下午"}.get(period or "", period))
