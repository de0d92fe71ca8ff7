"""No link as the only way forward (issue 16): SMS and WeChat text reach feature phones and
people who do not go online, so a reply that only points to a web address also gives the
hotline, unless it already names a number to call or offers numbered choices (pure)."""

from __future__ import annotations

import re

URL = re.compile(r"(?:https?://|www\.)[^\s，。；！？、）)】》]+", re.I)
# 12333 and the other service hotlines, a landline with area code, a mobile number.
PHONE = re.compile(r"(?<!\d)(?:123\d\d|0\d{2,3}-?\d{7,8}|1[3-9]\d{9})(?!\d)")
CALL_HOTLINE = "不方便上网的，请拨打12333人社服务热线咨询。"


def link_only(text: str, choices: bool = False) -> bool:
    """True when ``text`` sends the citizen to a web address and gives no other way on."""
    # A number inside an address (si.12333.gov.cn) is not a number to call.
    return bool(URL.search(text)) and not PHONE.search(URL.sub(" ", text)) and not choices


def way_forward(text: str, choices: bool = False) -> str:
    """What to add to ``text`` (a line naming the hotline) so it is not link-only; or ``""``."""
    return CALL_HOTLINE if link_only(text, choices) else ""
