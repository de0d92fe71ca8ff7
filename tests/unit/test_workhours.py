"""Agents' hours on the Chinese calendar: holidays off, 调休 weekends worked."""

from __future__ import annotations

import datetime as dt

import pytest

from hotline import workhours
from hotline.workhours import TZ, AgentHours


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), TZ)


HOURS = AgentHours()


def test_a_statutory_holiday_on_a_weekday_is_closed() -> None:
    assert at("2026-10-01").weekday() == 3  # National Day falls on a Thursday
    assert not HOURS.is_open(at("2026-10-01"))


def test_a_tiaoxiu_saturday_is_a_working_day() -> None:
    assert at("2026-10-10").weekday() == 5  # worked in exchange for the National Day week
    assert HOURS.is_open(at("2026-10-10"))
    assert not HOURS.is_open(at("2026-10-10", 18))


def test_an_ordinary_weekend_is_closed_and_a_weekday_open() -> None:
    assert not HOURS.is_open(at("2026-11-28"))  # Saturday
    assert not HOURS.is_open(at("2026-11-29"))  # Sunday
    assert HOURS.is_open(at("2026-11-30"))  # Monday
    # Beijing time, whatever the caller's clock: 02:00 UTC is 10:00 in Beijing.
    assert HOURS.is_open(dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.timezone.utc))


def test_next_opening_skips_the_whole_holiday() -> None:
    # Evening before National Day → first working day after the Golden Week.
    opens = HOURS.next_opening(at("2026-09-30", 18))
    assert opens == at("2026-10-08", 9)
    assert HOURS.next_opening(at("2026-11-30", 10)) == at("2026-11-30", 10)


def test_callback_due_counts_working_days() -> None:
    assert workhours.callback_due(HOURS, at("2026-09-30"), 1) == dt.date(2026, 10, 8)
    assert workhours.callback_due(HOURS, at("2026-11-27"), 1) == dt.date(2026, 11, 30)


def test_regions_can_have_their_own_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_HOURS", "09:00-17:00")
    monkeypatch.setenv("AGENT_HOURS_BY_REGION", "beijing=08:30-17:30;shanghai=always")
    assert workhours.from_env("beijing").is_open(at("2026-11-30", 17).replace(minute=15))
    assert not workhours.from_env(None).is_open(at("2026-11-30", 17).replace(minute=15))
    assert workhours.from_env("shanghai").is_open(at("2026-10-01", 3))
    assert workhours.from_env("guangdong") == AgentHours()


def test_a_year_the_calendar_does_not_know_falls_back_to_weekdays() -> None:
    assert workhours.is_working_day(dt.date(2099, 6, 1))  # a Monday
    assert not workhours.is_working_day(dt.date(2099, 6, 6))  # a Saturday
