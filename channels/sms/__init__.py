"""SMS on the 12333 short code (issue 8; docs/sms.md).

Pure parts: :mod:`segments` (length rules), :mod:`providers` (uplink and status-report
payloads of Aliyun, Tencent Cloud and a generic JSON gateway), :mod:`signatures`
(request signing), :mod:`keywords` (the keyword table). Parts that touch Redis or the
network: :mod:`state` (per-conversation context), :mod:`senders` (one class per
provider's SendSms), :mod:`downlink` (rate limits, quiet hours, opt-out, retries) and
:mod:`replies` (a bot reply rendered and sent).

Errors, one tree::

    SmsError
    ├── SmsPayloadError     an uplink or report the provider's format does not allow
    ├── KeywordTableError   the keyword table file is unusable
    ├── SmsRateLimited      per-number rate limit or daily cap reached
    └── SmsUnavailable      the provider refused or could not be reached after retries
"""

from channels.sms.errors import (
    KeywordTableError,
    SmsError,
    SmsPayloadError,
    SmsRateLimited,
    SmsUnavailable,
)

__all__ = ["KeywordTableError", "SmsError", "SmsPayloadError", "SmsRateLimited", "SmsUnavailable"]
