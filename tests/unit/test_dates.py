"""Dates and times as citizens say them, for booking (actions/dates.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from actions.dates import BEIJING, DateError, When, number, parse

# Monday 2 November 2026, 10:15 in Beijing.
NOW = dt.datetime(2026, 11, 2, 10, 15, tzinfo=BEIJING)


@pytest.mark.parametrize(("said", "meant"), [
    ("明天下午两点", When(dt.date(2026, 11, 3), dt.time(14, 0))),
    ("下周三上午", When(dt.date(2026, 11, 11), None, "上午")),
    ("下星期五下午3点半", When(dt.date(2026, 11, 13), dt.time(15, 30))),
    ("周三", When(dt.date(2026, 11, 4))),
    ("今天下午", When(dt.date(2026, 11, 2), None, "下午")),
    ("11月5日9点", When(dt.date(2026, 11, 5), dt.time(9, 0))),
    ("十一月六号上午十点", When(dt.date(2026, 11, 6), dt.time(10, 0))),
    ("2026-11-04 14:30", When(dt.date(2026, 11, 4), dt.time(14, 30))),
    ("1月5日", When(dt.date(2027, 1, 5))),   # said in November: next January
    ("后天早上", When(dt.date(2026, 11, 4), None, "上午")),
])
def test_what_citizens_say(said: str, meant: When) -> None:
    assert parse(said, NOW) == meant


def test_utc_now_is_read_as_beijing_time() -> None:
    # 17:00 UTC on Monday is already 01:00 on Tuesday in Beijing.
    late = dt.datetime(2026, 11, 2, 17, 0, tzinfo=dt.timezone.utc)
    assert parse("明天", late).date == dt.date(2026, 11, 4)


@pytest.mark.parametrize(("said", "reason"), [
    ("今天上午九点", "已经过去了"),
    ("10月30日", "已经过去了"),
    ("这周六上午", "不是工作日"),
    ("下周日", "不是工作日"),
    ("2月30日", "不是有效的日期"),
    ("随便哪天", "没听清您想约哪一天"),
])
def test_refused(said: str, reason: str) -> None:
    with pytest.raises(DateError) as refused:
        parse(said, NOW)
    assert reason in refused.value.message


def test_holidays_are_not_working_days() -> None:
    with pytest.raises(DateError, match="不是工作日"):
        parse("明天", NOW, holidays={dt.date(2026, 11, 3)})


@pytest.mark.parametrize(("text", "value"), [("12", 12), ("十二", 12), ("二十三", 23), ("两", 2), ("十", 10)])
def test_numbers(text: str, value: int) -> None:
    assert number(text) == value
