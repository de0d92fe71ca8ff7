"""A bot reply on its way to a citizen's phone, and the downlink built from settings.

The inbound stream calls :func:`deliver` for channel ``sms`` once Rasa has answered: the
number comes back out of the vault (the stream only knows the conversation pseudonym),
the reply is rendered for SMS, its numbered options remembered, and the text sent with
the stream's message key as idempotency key, so a redelivered entry sends nothing twice.
"""

from __future__ import annotations

import httpx
import structlog
from redis.asyncio import Redis

from channels import pii
from channels.adapters.sms import SmsAdapter
from channels.inbound import BotReply, InboundMessage
from channels.settings import Settings
from channels.sms import state
from channels.sms.downlink import QuietHours, SmsDownlink
from channels.sms.errors import SmsRateLimited, SmsUnavailable
from channels.sms.senders import DEFAULT_BASES, SENDERS, Credentials

log = structlog.get_logger(__name__)


async def deliver(sms: SmsDownlink, vault: pii.Vault, secret: bytes, message: InboundMessage,
                  reply: BotReply) -> None:
    phone = await state.phone_for(vault, secret, message.conversation)
    if phone is None:  # more than a day late: nobody to answer any more
        log.warning("sms.reply_orphaned", message_id=message.message_id)
        return
    rendered = SmsAdapter(sms.max_parts, sms.signature).render(reply)
    await state.remember_options(sms.redis, message.conversation, list(rendered.options))
    if not rendered.text:
        return
    try:
        await sms.send(phone, rendered.text, kind="reply", idempotency_key=f"reply:{message.key}")
    except (SmsRateLimited, SmsUnavailable) as exc:
        log.warning("sms.reply_failed", message_id=message.message_id, error=type(exc).__name__)


def build(settings: Settings, http: httpx.AsyncClient, redis: Redis) -> SmsDownlink | None:
    """The downlink ``SMS_PROVIDER`` names, or None when it lacks what it needs."""
    provider = settings.sms_provider
    base = settings.sms_api_base or DEFAULT_BASES.get(provider)
    if provider == "tencent":
        credentials = Credentials(settings.sms_secret_id or "", _secret(settings.sms_secret_key),
                                  settings.sms_sign_name, settings.sms_template_code or "",
                                  settings.sms_sdk_app_id or "")
        complete = bool(credentials.key_id and credentials.secret and credentials.app_id
                        and credentials.template)
    else:
        credentials = Credentials(settings.sms_access_key_id or "", _secret(settings.sms_access_key_secret),
                                  settings.sms_sign_name, settings.sms_template_code or "")
        complete = provider == "generic" or bool(credentials.key_id and credentials.secret
                                                 and credentials.template)
    if not base or not complete:
        log.warning("sms.disabled", provider=provider, hint="SMS_API_BASE / provider keys unset")
        return None
    sender = SENDERS[provider](http, base, credentials)
    return SmsDownlink(
        sender, redis,
        pseudonym_secret=settings.pseudonym_secret.get_secret_value().encode(),
        sealing_key=pii.fernet_key(settings.vault_key.get_secret_value()),
        sign_name=settings.sms_sign_name, max_parts=settings.sms_max_parts,
        rate_per_minute=settings.sms_rate_per_minute, daily_cap=settings.sms_daily_cap,
        quiet=QuietHours.parse(settings.sms_quiet_hours))


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter else ""
