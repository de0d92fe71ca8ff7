"""One class per provider's SendSms, selected by ``SMS_PROVIDER`` from :data:`SENDERS`.

A sender makes exactly one HTTP request and returns the provider's message id. It
raises :class:`TryAgain` for what a later attempt may cure (network, timeout, 5xx) —
the downlink retries those with the same idempotency key — :class:`SmsRateLimited`
when the provider throttles the number, :class:`SmsUnavailable` for anything else.

* ``generic``: ``POST {base}/v1/messages`` JSON ``{"to","text","sign_name",
  "idempotency_key"}`` (also the ``Idempotency-Key`` header; ``Authorization: Bearer
  <SMS_ACCESS_KEY_SECRET>`` when set) → ``{"message_id"}``. This project's own format.
* ``aliyun``: SendSms 2017-05-25, RPC style, form-encoded POST, HMAC-SHA1 signature;
  the text goes in the template variable ``content`` of ``SMS_TEMPLATE_CODE``; ``OutId``
  carries the idempotency key.
* ``tencent``: SendSms 2021-01-11, JSON POST, TC3-HMAC-SHA256; the text is the single
  parameter of template ``SMS_TEMPLATE_CODE``; ``SessionContext`` carries the key.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Protocol
from urllib.parse import quote

import httpx

from channels.sms.errors import SmsRateLimited, SmsUnavailable
from channels.sms.signatures import JSON_CONTENT_TYPE, aliyun_signature, tc3_authorization

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
PROVIDER_REFUSED = "短信服务商拒绝发送，请稍后再试；如需帮助请拨打12333。"


class TryAgain(SmsUnavailable):
    """A failure that another attempt with the same idempotency key may cure."""


@dataclass(frozen=True)
class Credentials:
    key_id: str = ""
    secret: str = ""
    sign_name: str = "12333"
    template: str = ""
    app_id: str = ""  # Tencent's SmsSdkAppId

    def __repr__(self) -> str:  # never print the secret
        return f"Credentials(key_id={self.key_id!r}, sign_name={self.sign_name!r})"


class Sender(Protocol):
    name: ClassVar[str]

    async def send(self, phone: str, text: str, idempotency_key: str) -> str:
        """Send one SMS; the provider's message id."""
        ...


class _HttpSender:
    name: ClassVar[str] = ""

    def __init__(self, http: httpx.AsyncClient, base_url: str, credentials: Credentials,
                 clock: Callable[[], float] = time.time) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.clock = clock

    async def send(self, phone: str, text: str, idempotency_key: str) -> str:
        raise NotImplementedError

    async def _post(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        try:
            response = await self.http.post(self.base_url + path, timeout=TIMEOUT, **kwargs)
        except httpx.HTTPError as exc:
            raise TryAgain(f"sms {self.name}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise TryAgain(f"sms {self.name}: HTTP {response.status_code}")
        try:
            return response.status_code, response.json()
        except ValueError as exc:
            raise SmsUnavailable(PROVIDER_REFUSED) from exc


class GenericSender(_HttpSender):
    name: ClassVar[str] = "generic"

    async def send(self, phone: str, text: str, idempotency_key: str) -> str:
        headers = {"Idempotency-Key": quote(idempotency_key, safe=":-_.")}  # headers are ASCII
        if self.credentials.secret:
            headers["Authorization"] = f"Bearer {self.credentials.secret}"
        status, data = await self._post("/v1/messages", headers=headers, json={
            "to": phone, "text": text, "sign_name": self.credentials.sign_name,
            "idempotency_key": idempotency_key})
        if status == 429:
            raise SmsRateLimited()
        if status >= 300 or not isinstance(data, dict) or not data.get("message_id"):
            raise SmsUnavailable(PROVIDER_REFUSED)
        return str(data["message_id"])


class AliyunSender(_HttpSender):
    name: ClassVar[str] = "aliyun"

    def params(self, phone: str, text: str, idempotency_key: str) -> dict[str, str]:
        c = self.credentials
        params = {
            "AccessKeyId": c.key_id, "Action": "SendSms", "Format": "JSON",
            "OutId": idempotency_key, "PhoneNumbers": phone, "RegionId": "cn-hangzhou",
            "SignName": c.sign_name, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
            "TemplateCode": c.template,
            "TemplateParam": json.dumps({"content": text}, ensure_ascii=False),
            "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock())),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature("POST", params, c.secret)
        return params

    async def send(self, phone: str, text: str, idempotency_key: str) -> str:
        _, data = await self._post("/", data=self.params(phone, text, idempotency_key))
        code = str((data or {}).get("Code") or "") if isinstance(data, dict) else ""
        if code == "OK" and data.get("BizId"):
            return str(data["BizId"])
        if code in ("isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL") or code.startswith("Throttling"):
            raise SmsRateLimited()
        if code.startswith("isp."):  # the provider's own system error
            raise TryAgain(f"sms aliyun: {code}")
        raise SmsUnavailable(PROVIDER_REFUSED)


class TencentSender(_HttpSender):
    name: ClassVar[str] = "tencent"
    service = "sms"
    version = "2021-01-11"
    region = "ap-guangzhou"

    def request(self, phone: str, text: str, idempotency_key: str) -> tuple[bytes, dict[str, str]]:
        c = self.credentials
        body = json.dumps({
            "PhoneNumberSet": [phone if phone.startswith("+") else f"+86{phone}"],
            "SmsSdkAppId": c.app_id, "SignName": c.sign_name, "TemplateId": c.template,
            "TemplateParamSet": [text], "SessionContext": idempotency_key,
        }, ensure_ascii=False).encode()
        host = httpx.URL(self.base_url).netloc.decode()
        timestamp = int(self.clock())
        headers = {
            "Authorization": tc3_authorization(c.key_id, c.secret, self.service, host, body, timestamp),
            "Content-Type": JSON_CONTENT_TYPE, "Host": host, "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp), "X-TC-Version": self.version, "X-TC-Region": self.region,
        }
        return body, headers

    async def send(self, phone: str, text: str, idempotency_key: str) -> str:
        body, headers = self.request(phone, text, idempotency_key)
        _, data = await self._post("/", content=body, headers=headers)
        answer = data.get("Response") if isinstance(data, dict) else None
        if not isinstance(answer, dict):
            raise SmsUnavailable(PROVIDER_REFUSED)
        statuses = answer.get("SendStatusSet") or []
        error = answer.get("Error") or (statuses[0] if statuses else {"Code": "Empty"})
        code = str(error.get("Code") or "")
        if code == "Ok" and error.get("SerialNo"):
            return str(error["SerialNo"])
        if code.startswith("LimitExceeded") or code == "RequestLimitExceeded":
            raise SmsRateLimited()
        if code.startswith("InternalError"):
            raise TryAgain(f"sms tencent: {code}")
        raise SmsUnavailable(PROVIDER_REFUSED)


SENDERS: dict[str, type[_HttpSender]] = {
    GenericSender.name: GenericSender, AliyunSender.name: AliyunSender, TencentSender.name: TencentSender,
}
DEFAULT_BASES = {"aliyun": "https://dysmsapi.aliyuncs.com", "tencent": "https://sms.tencentcloudapi.com"}
