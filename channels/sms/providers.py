"""What SMS providers push to the gateway, parsed; and what they expect back (pure).

Formats, from the providers' documentation (docs/sms.md has the links):

* ``aliyun`` uplink (SmsUp, HTTP batch push): a JSON array of objects with
  ``phone_number``, ``content``, ``send_time``, ``dest_code``, ``sequence_id`` and, in
  older pages, ``sign_name``. ``sequence_id`` is a number in one version of the page and
  a string in the other; ``send_time`` is ``2017-09-01 00:00:00`` or ``20170901000000``.
  Status reports (SmsReport): an array with ``biz_id``, ``out_id``, ``success``,
  ``err_code``, ``err_msg``, ``report_time`` …  Answer: ``{"code":0,"msg":"接收成功"}``.
* ``tencent`` reply callback: one object with ``mobile``, ``nationcode``, ``sign``,
  ``text``, ``time`` (Unix seconds) and ``extend``; no message id. Status callback: an
  array with ``sid``, ``report_status`` (SUCCESS/FAIL), ``errmsg``, ``description``,
  ``user_receive_time``.  Answer: ``{"result":0,"errmsg":"OK"}``.
* ``generic`` (this project's own, for gateways that speak plain JSON): uplinks
  ``{"from","text","message_id","received_at"}`` and reports
  ``{"message_id","status":"delivered"|"failed","error","reported_at"}``, each one
  object or an array of them; ``received_at``/``reported_at`` are RFC 3339 or Unix
  seconds.  Answer: ``{"status":"ok"}``.

Times without a zone are Beijing time. Anything else raises :class:`SmsPayloadError`
with a Chinese message that names the field, never the value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from channels.sms.errors import SmsPayloadError

PROVIDERS = ("aliyun", "tencent", "generic")
BEIJING = dt.timezone(dt.timedelta(hours=8))
LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S")
MAX_TEXT = 500
# Digits after an optional +; the providers' published samples mask digits with * or x.
PHONE = re.compile(r"^\+?[0-9][0-9*xX]{4,19}$")

ACKS: dict[str, dict[str, Any]] = {
    "aliyun": {"code": 0, "msg": "接收成功"},
    "tencent": {"result": 0, "errmsg": "OK"},
    "generic": {"status": "ok"},
}


@dataclass(frozen=True)
class Uplink:
    """One message a citizen sent. ``message_id`` is the provider's, or None when the
    provider gives none (Tencent): the route then derives one from the content."""

    phone: str
    text: str
    message_id: str | None
    received_at: float


@dataclass(frozen=True)
class Report:
    """A delivery report for a message the gateway sent."""

    message_id: str
    delivered: bool
    code: str
    description: str
    reported_at: float
    out_id: str = ""


def ack(provider: str) -> dict[str, Any]:
    return dict(ACKS[provider])


def parse_uplinks(provider: str, body: bytes) -> list[Uplink]:
    return [_UPLINKS[provider](item) for item in _items(body, single_ok=provider != "aliyun")]


def parse_reports(provider: str, body: bytes) -> list[Report]:
    return [_REPORTS[provider](item) for item in _items(body, single_ok=provider == "generic")]


# -- Aliyun ------------------------------------------------------------------------------


def _aliyun_uplink(item: dict[str, Any]) -> Uplink:
    _optional_str(item, "sign_name", "dest_code")
    return Uplink(
        phone=_phone(_str(item, "phone_number")),
        text=_text(item, "content"),
        message_id=f"aliyun:{_id(item, 'sequence_id')}",
        received_at=_local_time(item, "send_time"),
    )


def _aliyun_report(item: dict[str, Any]) -> Report:
    return Report(
        message_id=_id(item, "biz_id"),
        delivered=_bool(item, "success"),
        code=_optional_str(item, "err_code")[0],
        description=_optional_str(item, "err_msg")[0],
        reported_at=_local_time(item, "report_time"),
        out_id=_optional_str(item, "out_id")[0],
    )


# -- Tencent -----------------------------------------------------------------------------


def _tencent_uplink(item: dict[str, Any]) -> Uplink:
    _optional_str(item, "sign", "extend")
    return Uplink(
        phone=_international(_str(item, "nationcode"), _str(item, "mobile")),
        text=_text(item, "text"),
        message_id=None,
        received_at=_unix(item, "time"),
    )


def _tencent_report(item: dict[str, Any]) -> Report:
    status = _str(item, "report_status")
    if status not in ("SUCCESS", "FAIL"):
        raise SmsPayloadError("状态报告字段 report_status 取值不正确。")
    return Report(
        message_id=_id(item, "sid"),
        delivered=status == "SUCCESS",
        code=_optional_str(item, "errmsg")[0],
        description=_optional_str(item, "description")[0],
        reported_at=_local_time(item, "user_receive_time"),
    )


# -- generic ------------------------------------------------------------------------------


def _generic_uplink(item: dict[str, Any]) -> Uplink:
    return Uplink(
        phone=_phone(_str(item, "from")),
        text=_text(item, "text"),
        message_id=f"generic:{_id(item, 'message_id')}",
        received_at=_any_time(item, "received_at"),
    )


def _generic_report(item: dict[str, Any]) -> Report:
    status = _str(item, "status")
    if status not in ("delivered", "failed"):
        raise SmsPayloadError("状态报告字段 status 取值不正确。")
    return Report(
        message_id=_id(item, "message_id"),
        delivered=status == "delivered",
        code=_optional_str(item, "error")[0],
        description="",
        reported_at=_any_time(item, "reported_at"),
    )


_UPLINKS: dict[str, Callable[[dict[str, Any]], Uplink]] = {
    "aliyun": _aliyun_uplink, "tencent": _tencent_uplink, "generic": _generic_uplink}
_REPORTS: dict[str, Callable[[dict[str, Any]], Report]] = {
    "aliyun": _aliyun_report, "tencent": _tencent_report, "generic": _generic_report}


# -- fields -------------------------------------------------------------------------------


def _items(body: bytes, single_ok: bool) -> list[dict[str, Any]]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # "[[[[…" nests past the stack
        raise SmsPayloadError("推送内容不是有效的 JSON。") from exc
    if isinstance(data, dict) and single_ok:
        data = [data]
    if not isinstance(data, list) or not data or not all(isinstance(i, dict) for i in data):
        raise SmsPayloadError("推送内容应为 JSON 对象数组。")
    return data


def _str(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if value is None:
        raise SmsPayloadError(f"缺少字段 {name}。")
    if not isinstance(value, str):
        raise SmsPayloadError(f"字段 {name} 应为字符串。")
    return value


def _optional_str(item: dict[str, Any], *names: str) -> list[str]:
    values = []
    for name in names:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise SmsPayloadError(f"字段 {name} 应为字符串。")
        values.append(value or "")
    return values


def _text(item: dict[str, Any], name: str) -> str:
    return _str(item, name).strip()[:MAX_TEXT]


def _id(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if value is None:
        raise SmsPayloadError(f"缺少字段 {name}。")
    # Documented as a number in one version of a page and a string in another.
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise SmsPayloadError(f"字段 {name} 应为字符串或整数。")
    return str(value).strip()[:128]


def _bool(item: dict[str, Any], name: str) -> bool:
    value = item.get(name)
    if not isinstance(value, bool):
        raise SmsPayloadError(f"字段 {name} 应为 true 或 false。")
    return value


def _phone(value: str) -> str:
    digits = value.replace(" ", "").replace("-", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not PHONE.match(digits):
        raise SmsPayloadError("手机号码格式不正确。")
    return digits


def _international(nationcode: str, mobile: str) -> str:
    code = nationcode.lstrip("+")
    return _phone(mobile) if code in ("", "86") else _phone(f"+{code}{mobile}")


def _local_time(item: dict[str, Any], name: str) -> float:
    value = _str(item, name)
    for pattern in LOCAL_FORMATS:
        try:
            return dt.datetime.strptime(value, pattern).replace(tzinfo=BEIJING).timestamp()
        except ValueError:
            continue
    raise SmsPayloadError(f"字段 {name} 的时间格式不正确。")


def _unix(item: dict[str, Any], name: str) -> float:
    value = item.get(name)
    if value is None:
        raise SmsPayloadError(f"缺少字段 {name}。")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise SmsPayloadError(f"字段 {name} 应为 Unix 时间戳（秒）。")
    return float(value)


def _any_time(item: dict[str, Any], name: str) -> float:
    value = item.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _unix(item, name)
    text = _str(item, name)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return _local_time(item, name)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING)).timestamp()
