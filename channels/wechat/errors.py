"""The WeChat channel's errors.

Refusals of an inbound request are gateway errors (mapped to HTTP by
:func:`channels.errors.install`; the answer never echoes the request body). Failures
of WeChat's own HTTP API form a second branch, raised by :mod:`channels.wechat.api`::

    GatewayError
    ├── BadRequestError ─── MalformedRequestError      400  unreadable XML, bad base64, wrong AppID
    ├── UnauthorizedError ─ SignatureError             401  signature or msg_signature wrong
    ├── ForbiddenError ──── StaleRequestError          403  timestamp outside the window
    │                   └── ReplayError                403  nonce seen before with another body
    ├── PayloadTooLargeError ─ OversizeError           413
    └── ChannelNotConfiguredError                      503  WECHAT_TOKEN unset, or a bad AES key
    WeChatApiError (errcode, errmsg)
    ├── TokenError          fetching the access token failed (wrong secret, IP not allowed …)
    ├── WindowClosedError   45015: 48 hours since the citizen last wrote, or unsubscribed
    ├── QuotaError          45047: messages allowed after one interaction used up
    └── ApiUnavailableError network error or 5xx
"""

from __future__ import annotations

from channels.errors import (
    BadRequestError,
    ForbiddenError,
    GatewayError,
    PayloadTooLargeError,
    UnauthorizedError,
)


class MalformedRequestError(BadRequestError):
    message = "请求内容无法识别。"


class SignatureError(UnauthorizedError):
    message = "签名校验失败。"


class StaleRequestError(ForbiddenError):
    message = "请求已过期。"


class ReplayError(ForbiddenError):
    message = "重复的请求。"


class OversizeError(PayloadTooLargeError):
    message = "请求内容过大。"


class ChannelNotConfiguredError(GatewayError):
    status_code = 503
    message = "微信公众号渠道尚未配置或配置有误（WECHAT_TOKEN、WECHAT_ENCODING_AES_KEY），请联系系统管理员。"


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"wechat api error {errcode}")
        self.errcode = errcode
        self.errmsg = errmsg


class TokenError(WeChatApiError):
    pass


class WindowClosedError(WeChatApiError):
    pass


class QuotaError(WeChatApiError):
    pass


class ApiUnavailableError(WeChatApiError):
    pass


def api_error(errcode: int, errmsg: str = "") -> WeChatApiError:
    """The most specific error for one of WeChat's ``errcode`` values."""
    kinds: dict[int, type[WeChatApiError]] = {45015: WindowClosedError, 45047: QuotaError}
    return kinds.get(errcode, WeChatApiError)(errcode, errmsg)
