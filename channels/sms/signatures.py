"""Request signing for the providers' SendSms APIs (pure; golden vectors in the tests).

* Aliyun RPC signature (SignatureMethod HMAC-SHA1, SignatureVersion 1.0): the sorted,
  percent-encoded parameters, ``METHOD&%2F&<encoded query>``, HMAC-SHA1 under
  ``AccessKeySecret + "&"``, Base64.
* Tencent Cloud API 3.0 signature v3 (TC3-HMAC-SHA256): a canonical request over the
  signed headers ``content-type;host`` and the SHA-256 of the body, a key derived from
  ``"TC3" + SecretKey`` through the UTC date, the service and ``tc3_request``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from typing import Mapping
from urllib.parse import quote

TC3 = "TC3-HMAC-SHA256"
TC3_SIGNED_HEADERS = "content-type;host"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's POP wants it: space as %20, ``~`` kept, ``*`` encoded."""
    return quote(value, safe="~")


def aliyun_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}"
                     for k, v in sorted(params.items()) if k != "Signature")
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(query)}"


def aliyun_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), aliyun_string_to_sign(method, params).encode(),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_date(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d")


def tc3_canonical_request(host: str, payload: bytes, content_type: str = JSON_CONTENT_TYPE) -> str:
    headers = f"content-type:{content_type}\nhost:{host}\n"
    return f"POST\n/\n\n{headers}\n{TC3_SIGNED_HEADERS}\n{_sha256(payload)}"


def tc3_string_to_sign(service: str, timestamp: int, canonical_request: str) -> str:
    scope = f"{tc3_date(timestamp)}/{service}/tc3_request"
    return f"{TC3}\n{timestamp}\n{scope}\n{_sha256(canonical_request.encode())}"


def tc3_signature(secret_key: str, service: str, timestamp: int, string_to_sign: str) -> str:
    key = _hmac(f"TC3{secret_key}".encode(), tc3_date(timestamp))
    key = _hmac(_hmac(key, service), "tc3_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_authorization(secret_id: str, secret_key: str, service: str, host: str, payload: bytes,
                      timestamp: int, content_type: str = JSON_CONTENT_TYPE) -> str:
    """The ``Authorization`` header of a TencentCloud API 3.0 POST request."""
    canonical = tc3_canonical_request(host, payload, content_type)
    signature = tc3_signature(secret_key, service, timestamp,
                              tc3_string_to_sign(service, timestamp, canonical))
    scope = f"{tc3_date(timestamp)}/{service}/tc3_request"
    return (f"{TC3} Credential={secret_id}/{scope}, SignedHeaders={TC3_SIGNED_HEADERS}, "
            f"Signature={signature}")
