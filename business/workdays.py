"""Beijing time and working days. Pure functions apart from ``now``.

Working days are Monday to Friday minus the holidays a province configures
(``BUSINESS_HOLIDAYS``). The State Council's annual holiday notice also moves some
working days onto weekends (调休); this reference system does not model those.
"""

from __future__ import annotations

import datetime as dt
from typing import Collection
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    return dt.datetime.now(BEIJING)


def today() -> dt.date:
    return now().date()


def is_working_day(day: dt.date, holidays: Collection[dt.date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, days: int, holidays: Collection[dt.date] = ()) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            days -= 1
    return day


def working_days(start: dt.date, count: int, holidays: Collection[dt.date] = ()) -> list[dt.date]:
    """Working days among ``start`` and the ``count - 1`` calendar days after it."""
    days = (start + dt.timedelta(days=i) for i in range(count))
    return [day for day in days if is_working_day(day, holidays)]


def parse_dates(text: str) -> frozenset[dt.date]:
    """``"2026-10-01,2026-10-02"`` → the dates; blanks are ignored."""
    return frozenset(dt.date.fromisoformat(part.strip()) for part in text.split(",") if part.strip())
