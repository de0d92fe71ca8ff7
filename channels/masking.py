"""Masking of personal data: pure functions, used by logs, analytics and agent views.

Masked forms follow what citizens see on official receipts: 身份证号 keeps the first
three and the last four characters (``110***********123X``), mobile numbers the first
three and last four (``138****5678``). A pattern pass is the backstop for free text.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx](?![0-9A-Za-z])"
)
MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")
BANK_CARD = re.compile(r"(?<!\d)[1-9]\d{15,18}(?!\d)")

SENSITIVE_KEYS = frozenset(
    {"id_number", "idcard", "id_card", "phone", "mobile", "name", "openid", "open_id",
     "sender", "native_id", "text", "body", "password", "secret", "token", "code"}
)


def mask_id_number(value: str) -> str:
    value = value.strip()
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)[-11:]
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str) -> str:
    value = value.strip()
    if len(value) <= 1:
        return "*"
    return value[0] + "*" * (len(value) - 1)


def mask_card(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) < 12:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_text(text: str) -> str:
    """Replace anything that looks like an id number, mobile or bank card."""
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = BANK_CARD.sub(lambda m: mask_card(m.group(0)), text)
    return MOBILE.sub(lambda m: mask_phone(m.group(0)), text)


def mask_value(key: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return mask_mapping(value)
    if key.lower() in SENSITIVE_KEYS and value not in (None, ""):
        return "***"
    if isinstance(value, str):
        return mask_text(value)
    return value


def mask_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: mask_value(str(key), value) for key, value in data.items()}
