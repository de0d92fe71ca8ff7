"""Notices that cross channels: a booking made on web chat confirmed by SMS (issue 5).

The action server never sees a phone number, so an action cannot send an SMS. It adds a
typed payload to its reply instead::

    {"type": "notify", "channel": "sms", "kind": "booking", "text": "您已预约…"}

and the gateway, which knows the number, takes the payload out of what the citizen sees
and sends the text by SMS to the phone the citizen proved with a one-time code. That
number is kept in the personal-data vault, encrypted, under a token derived from the
person's pseudonym (``pii:vault:NOTIFYPHONE_<hash>``) for as long as the verification
lasts, so every channel bound to the person finds it. No verified phone, no SMS downlink,
or a turn that is itself an SMS: the payload is dropped and nothing is sent.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import structlog

from channels import pii
from channels.inbound import BotReply, InboundMessage
from channels.masking import mask_phone
from channels.sms.downlink import SmsDownlink
from hotline.identity import IdentityContext
from hotline.signing import pseudonym

log = structlog.get_logger(__name__)

PHONE_TTL_S = 30 * 60   # as long as a verification (identity_store.MAX_TTL_S)
MAX_TEXT = 300
PHONE_LEVELS = ("phone", "verified")


def phone_token(secret: bytes, person: str) -> str:
    return f"NOTIFYPHONE_{pseudonym(secret, 'notify-phone', person, length=24)}"


async def remember_phone(vault: pii.Vault, secret: bytes, person: str, phone: str,
                         ttl_s: int = PHONE_TTL_S) -> None:
    """The number a person has just proved with a one-time code (verification calls this)."""
    await vault.keep([pii.Found("PHONE", phone, phone_token(secret, person))], ttl_s=ttl_s)


async def verified_phone(vault: pii.Vault, secret: bytes, identity: IdentityContext) -> str | None:
    if identity.level not in PHONE_LEVELS or not identity.person:
        return None
    return await vault.reveal(phone_token(secret, identity.person))


def notices(reply: BotReply) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The reply's messages without notify payloads, and the payloads."""
    kept, found = [], []
    for message in reply.messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("type") == "notify":
            found.append(custom)
            if message.get("text"):
                kept.append({k: v for k, v in message.items() if k != "custom"})
        else:
            kept.append(message)
    return kept, found


async def send_notices(reply: BotReply, message: InboundMessage, identity: IdentityContext,
                       vault: pii.Vault, secret: bytes, sms: SmsDownlink | None) -> BotReply:
    """``reply`` as the citizen sees it; its SMS notices sent in the background."""
    kept, found = notices(reply)
    if not found:
        return reply
    reply = dataclasses.replace(reply, messages=kept)
    wanted = [n for n in found if n.get("channel") == "sms" and str(n.get("text") or "").strip()]
    if not wanted or sms is None or message.channel == "sms":
        return reply   # on SMS the reply itself is the confirmation
    phone = await verified_phone(vault, secret, identity)
    if phone is None:
        log.info("notify.no_verified_phone", kinds=[str(n.get("kind")) for n in wanted])
        return reply
    for n, notice in enumerate(wanted):
        # The stream's message key: a redelivered turn sends nothing twice.
        sms.spawn(sms.send(phone, str(notice["text"]).strip()[:MAX_TEXT], kind="confirmation",
                           idempotency_key=f"notify:{message.key}:{n}"), "notify")
    said = f"确认短信将发送到您验证过的手机{mask_phone(phone)}。"
    return dataclasses.replace(reply, messages=[*kept, {"text": said}])
