"""Human agents work 5×8; the bot works 7×24. Pure functions over a clock."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class AgentHours:
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday..Friday

    def is_open(self, when: dt.datetime) -> bool:
        local = when.astimezone(TZ)
        return local.weekday() in self.weekdays and self.opens <= local.time() < self.closes

    def describe(self) -> str:
        return f"周一至周五 {self.opens:%H:%M}-{self.closes:%H:%M}"


ALWAYS = AgentHours(opens=dt.time(0, 0), closes=dt.time.max, weekdays=frozenset(range(7)))


def from_env() -> AgentHours:
    """``AGENT_HOURS=09:00-17:00`` (Beijing time, Monday to Friday); ``always`` for a centre
    staffed round the clock (and for tests that must not depend on the clock)."""
    raw = os.environ.get("AGENT_HOURS", "09:00-17:00")
    if raw.strip().lower() == "always":
        return ALWAYS
    opens, closes = (dt.time.fromisoformat(part.strip()) for part in raw.split("-", 1))
    return AgentHours(opens=opens, closes=closes)
