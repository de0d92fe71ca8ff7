"""受理编号 and working days: pure functions."""

from __future__ import annotations

import datetime as dt

import pytest

from business import numbers, workdays


@pytest.mark.parametrize("value", ["SY20261103000123", "sy20261103000123", "SY 2026-1103-000123",
                                   "CY20240229000001", "TX20261103999999"])
def test_acceptance_numbers(value: str) -> None:
    assert numbers.is_acceptance_no(value)
    assert numbers.normalize_acceptance_no(value) == value.upper().replace(" ", "").replace("-", "")


@pytest.mark.parametrize("value", ["", "SY2026110300012", "SY202611030001234", "XX20261103000123",
                                   "SY20261303000123", "SY20250229000001", "YY20261103000123",
                                   "SY2026110300012X", "受理20261103000123"])
def test_not_acceptance_numbers(value: str) -> None:
    assert not numbers.is_acceptance_no(value)


def test_booking_and_ticket_numbers_are_not_acceptance_numbers() -> None:
    booking = numbers.make(numbers.BOOKING_PREFIX, dt.date(2026, 11, 3), 1_000_007)
    assert booking == "YY20261103000007"
    assert numbers.normalize_booking_no(booking) == booking and not numbers.is_acceptance_no(booking)
    assert numbers.normalize_ticket_no("gd20261103000042") == "GD20261103000042"


def test_working_days_skip_weekends_and_holidays() -> None:
    friday = dt.date(2026, 11, 6)
    assert workdays.add_working_days(friday, 1) == dt.date(2026, 11, 9)
    assert workdays.add_working_days(friday, 1, {dt.date(2026, 11, 9)}) == dt.date(2026, 11, 10)
    assert workdays.add_working_days(friday, 0) == friday
    assert workdays.working_days(friday, 4) == [friday, dt.date(2026, 11, 9)]
    assert workdays.parse_dates(" 2026-10-01, ,2026-10-02") == {dt.date(2026, 10, 1), dt.date(2026, 10, 2)}
