"""The SMS package's error tree (drawn in ``channels/sms/__init__.py``).

Messages are Chinese: the routes and callers may show them to a citizen or an operator.
"""

from __future__ import annotations


class SmsError(Exception):
    message = "短信服务出现异常，请稍后再试；如需帮助请拨打12333。"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class SmsPayloadError(SmsError):
    message = "短信推送内容格式不正确。"


class KeywordTableError(SmsError):
    message = "短信关键词表格式不正确。"


class SmsRateLimited(SmsError):
    message = "该号码短信发送过于频繁，请稍后再试。"


class SmsUnavailable(SmsError):
    message = "短信暂时无法发送，请稍后再试；如需帮助请拨打12333。"
