"""Business numbers: 受理编号, booking numbers and ticket numbers. Pure functions.

Every number is two capital letters, an eight-digit date (YYYYMMDD, the day it was issued)
and a six-digit serial, sixteen characters in all:

=========  ==================================================  ====================
kind       letters                                             example
=========  ==================================================  ====================
受理编号   the business type (``catalog.KINDS``: SY 失业保险金,  ``SY20261103000123``
           SB 社保卡, ZY 养老保险转移, TX 退休, GS 工伤认定,
           JN 技能补贴, CY 创业担保贷款)
预约号     ``YY``                                              ``YY20261103000007``
工单号     ``GD``                                              ``GD20261103000042``
=========  ==================================================  ====================

Citizens read numbers aloud or type them in lower case with spaces; ``normalize`` accepts
that and returns the canonical form, or None when it is not a number of that kind.
"""

from __future__ import annotations

import datetime as dt
import re

from business.catalog import KIND_BY_PREFIX

BOOKING_PREFIX = "YY"
TICKET_PREFIX = "GD"

_DATE_SERIAL = r"(?P<date>\d{8})\d{6}$"
ACCEPTANCE_NO = re.compile(rf"^(?:{'|'.join(sorted(KIND_BY_PREFIX))}){_DATE_SERIAL}")
BOOKING_NO = re.compile(rf"^{BOOKING_PREFIX}{_DATE_SERIAL}")
TICKET_NO = re.compile(rf"^{TICKET_PREFIX}{_DATE_SERIAL}")
_SEPARATORS = re.compile(r"[\s\-－_]+")


def _canonical(pattern: re.Pattern[str], value: str) -> str | None:
    value = _SEPARATORS.sub("", value).upper()
    match = pattern.match(value)
    if not match:
        return None
    try:
        dt.datetime.strptime(match.group("date"), "%Y%m%d")
    except ValueError:
        return None
    return value


def normalize_acceptance_no(value: str) -> str | None:
    """``"sy 2026-1103-000123"`` → ``"SY20261103000123"``; None if it is not one."""
    return _canonical(ACCEPTANCE_NO, value)


def is_acceptance_no(value: str) -> bool:
    """True when ``value`` is a well-formed 受理编号 (any case, spaces and dashes allowed).

    Well-formed means a known type prefix, a real calendar date and a six-digit serial;
    whether such an application exists only the business system can say.
    """
    return normalize_acceptance_no(value) is not None


def normalize_booking_no(value: str) -> str | None:
    return _canonical(BOOKING_NO, value)


def normalize_ticket_no(value: str) -> str | None:
    return _canonical(TICKET_NO, value)


def make(prefix: str, day: dt.date, serial: int) -> str:
    """The number with ``prefix`` issued on ``day``; ``serial`` wraps at a million."""
    return f"{prefix}{day:%Y%m%d}{serial % 1_000_000:06d}"
