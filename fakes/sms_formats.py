"""The fake SMS provider's side of the formats: payloads it pushes (uplinks, delivery
reports) shaped like the providers' documented samples, and the checks it makes on
the gateway's signed SendSms requests."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import random
import re
import time
import uuid
from typing import Any

from channels.sms.signatures import TC3, aliyun_signature

BEIJING = dt.timezone(dt.timedelta(hours=8))
ALIYUN_SKEW_S = 15 * 60
ALIYUN_REQUIRED = ("AccessKeyId", "Action", "PhoneNumbers", "SignName", "Signature", "SignatureMethod",
                   "SignatureNonce", "SignatureVersion", "TemplateCode", "TemplateParam", "Timestamp",
                   "Version")
_TC3 = re.compile(r"^" + TC3 + r" Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
                  r"SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$")


def national(phone: str) -> str:
    """``+8613800000000`` and ``13800000000`` alike, for looking messages up."""
    phone = phone.strip()
    return phone[3:] if phone.startswith("+86") else phone


def _beijing(at: float, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    return dt.datetime.fromtimestamp(at, BEIJING).strftime(pattern)


def uplink(provider: str, phone: str, text: str, message_id: Any = None) -> bytes:
    now = time.time()
    if provider == "aliyun":
        body: Any = [{"phone_number": national(phone), "send_time": _beijing(now), "content": text,
                      "sign_name": "12333", "dest_code": "1234",
                      "sequence_id": message_id or random.randint(10**9, 10**10)}]
    elif provider == "tencent":
        body = {"extend": "", "mobile": national(phone), "nationcode": "86", "sign": "12333",
                "text": text, "time": int(now)}
    else:
        body = {"from": phone, "text": text, "message_id": str(message_id or uuid.uuid4().hex),
                "received_at": dt.datetime.fromtimestamp(now, dt.timezone.utc).isoformat()}
    return json.dumps(body, ensure_ascii=False).encode()


def report(message: dict[str, Any], delivered: bool) -> bytes:
    now = time.time()
    provider = message["provider"]
    if provider == "aliyun":
        body: Any = [{"phone_number": message["phone"], "send_time": _beijing(message["at"]),
                      "report_time": _beijing(now), "success": delivered,
                      "err_code": "DELIVERED" if delivered else "MK:0001",
                      "err_msg": "用户接收成功" if delivered else "用户接收失败",
                      "sms_size": str(len(message["parts"])), "biz_id": message["id"],
                      "out_id": message["idempotency_key"]}]
    elif provider == "tencent":
        body = [{"user_receive_time": _beijing(now), "nationcode": "86", "mobile": message["phone"],
                 "report_status": "SUCCESS" if delivered else "FAIL",
                 "errmsg": "DELIVRD" if delivered else "MK:0001",
                 "description": "用户短信送达成功" if delivered else "用户短信接收失败",
                 "sid": message["id"]}]
    else:
        body = {"message_id": message["id"], "status": "delivered" if delivered else "failed",
                "error": "" if delivered else "undelivered",
                "reported_at": dt.datetime.fromtimestamp(now, dt.timezone.utc).isoformat()}
    return json.dumps(body, ensure_ascii=False).encode()


def check_aliyun(params: dict[str, str], key_id: str, secret: str, nonces: set[str], method: str) -> str:
    """The error code Aliyun would answer with, or "" when the request is good."""
    missing = [name for name in ALIYUN_REQUIRED if not params.get(name)]
    if missing:
        return f"MissingParameter.{missing[0]}"
    if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
        return "InvalidAction.NotFound"
    if not key_id or params["AccessKeyId"] != key_id:
        return "InvalidAccessKeyId.NotFound"
    try:
        stamp = dt.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return "InvalidTimeStamp.Format"
    if abs(time.time() - stamp.replace(tzinfo=dt.timezone.utc).timestamp()) > ALIYUN_SKEW_S:
        return "InvalidTimeStamp.Expired"
    if params["SignatureNonce"] in nonces:
        return "SignatureNonceUsed"
    expected = aliyun_signature(method, params, secret)
    if not secret or not hmac.compare_digest(expected, params["Signature"]):
        return "SignatureDoesNotMatch"
    try:
        json.loads(params["TemplateParam"])
    except ValueError:
        return "isv.INVALID_JSON_PARAM"
    return ""


def parse_tc3(header: str) -> dict[str, str] | None:
    found = _TC3.match(header.strip())
    if not found:
        return None
    secret_id, date, service, signed, signature = found.groups()
    return {"secret_id": secret_id, "date": date, "service": service, "signed_headers": signed,
            "signature": signature}
