"""When human agents work: 5×8 on the Chinese calendar, per region; the bot works 7×24.

Working days follow the State Council's yearly holiday notice (法定节假日 and the
调休 weekends worked in exchange) through the maintained ``chinesecalendar`` package.
A date the package does not know yet (a year whose notice it predates) raises
``NotImplementedError`` there; here it falls back to Monday–Friday and says so in the log,
because refusing every handoff on 1 January would be worse than a wrong guess.

Configuration (Beijing time):
``AGENT_HOURS=09:00-17:00`` for every region, ``always`` for a 7×24 centre (and for tests
that must not depend on the clock); ``AGENT_HOURS_BY_REGION=beijing=08:30-17:00;shanghai=09:00-17:30``
overrides it for named regions.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

TZ = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)


def is_working_day(day: dt.date) -> bool:
    """A statutory working day: weekdays, minus holidays, plus 调休 weekends."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("workhours.calendar_unknown_year year=%s", day.year)
        return day.weekday() < 5


@dataclass(frozen=True)
class AgentHours:
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 0)
    always: bool = False

    def is_open(self, when: dt.datetime) -> bool:
        if self.always:
            return True
        local = when.astimezone(TZ)
        return is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, when: dt.datetime) -> dt.datetime:
        """The next moment agents are at work (``when`` itself if they are now)."""
        if self.is_open(when):
            return when
        local = when.astimezone(TZ)
        day = local.date()
        if local.time() >= self.opens:
            day += dt.timedelta(days=1)
        for _ in range(60):  # the longest run of days off (Spring Festival) is far shorter
            if is_working_day(day):
                return dt.datetime.combine(day, self.opens, TZ)
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, self.opens, TZ)

    def describe(self) -> str:
        if self.always:
            return "每天24小时"
        return f"工作日 {self.opens:%H:%M}-{self.closes:%H:%M}（法定节假日休息，调休上班日照常服务）"


ALWAYS = AgentHours(always=True)


def _parse(raw: str) -> AgentHours:
    if raw.strip().lower() == "always":
        return ALWAYS
    opens, closes = (dt.time.fromisoformat(part.strip()) for part in raw.split("-", 1))
    return AgentHours(opens=opens, closes=closes)


def from_env(region: str | None = None) -> AgentHours:
    """The hours for ``region`` (or the default hours) from the environment."""
    if region:
        for item in os.environ.get("AGENT_HOURS_BY_REGION", "").split(";"):
            name, _, hours = item.partition("=")
            if name.strip() == region and hours.strip():
                return _parse(hours)
    return _parse(os.environ.get("AGENT_HOURS", "09:00-17:00"))


def callback_due(hours: AgentHours, when: dt.datetime, working_days: int = 1) -> dt.date:
    """When a callback promised at ``when`` is due: the end of the n-th working day after."""
    day = when.astimezone(TZ).date()
    left = working_days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
