"""Notices across channels: a bot reply's notify payload becomes an SMS to the verified
phone, never something the citizen sees, with a real Redis and the fake SMS provider."""

from __future__ import annotations

import time

import pytest
from redis.asyncio import Redis

from channels import notify, pii
from channels.inbound import BotReply, InboundMessage
from hotline.identity import IdentityContext
from tests.unit.sms_helpers import PHONE, PSEUDONYMS, SEALING, downlink, fake_provider, messages

NOTICE = {"type": "notify", "channel": "sms", "kind": "booking",
          "text": "您已预约11月4日10:30到朝阳区社会保险服务大厅办理。"}
ANSWER = {"text": "预约成功！预约号：YY20261102000001", "buttons": []}


def reply() -> BotReply:
    return BotReply("m1", [ANSWER, {"text": None, "custom": NOTICE}], {"intent": "affirm"})


def message(channel: str = "webchat") -> InboundMessage:
    return InboundMessage(channel=channel, conversation="conv-n", message_id="m1", text="是")


def person(level: str = "verified") -> IdentityContext:
    return IdentityContext(level=level, person="person-7", expires_at=int(time.time()) + 600)


@pytest.fixture
def vault(redis: Redis) -> pii.Vault:
    return pii.Vault(redis, SEALING)


async def test_the_notice_goes_by_sms_to_the_verified_phone_and_not_to_the_screen(
        redis: Redis, vault: pii.Vault) -> None:
    fake = fake_provider()
    sms = downlink(redis, fake)
    await notify.remember_phone(vault, PSEUDONYMS, "person-7", PHONE)
    shown = await notify.send_notices(reply(), message(), person(), vault, PSEUDONYMS, sms)
    assert shown.messages == [ANSWER, {"text": "确认短信将发送到您验证过的手机138****8000。"}]
    await notify.send_notices(reply(), message(), person(), vault, PSEUDONYMS, sms)  # a redelivery
    await sms.aclose()
    [sent] = messages(fake)
    assert sent["text"] == NOTICE["text"] and sent["parts"] == ["【12333】" + NOTICE["text"]]
    keys = [k async for k in redis.scan_iter("*")]
    assert keys and not any(PHONE in str(k) for k in keys)     # the number is never a key


@pytest.mark.parametrize(("level", "channel"), [("anonymous", "webchat"), ("verified", "sms")])
async def test_without_a_verified_phone_or_on_sms_nothing_is_sent(
        redis: Redis, vault: pii.Vault, level: str, channel: str) -> None:
    fake = fake_provider()
    sms = downlink(redis, fake)
    await notify.remember_phone(vault, PSEUDONYMS, "person-7", PHONE)
    shown = await notify.send_notices(reply(), message(channel), person(level), vault, PSEUDONYMS, sms)
    assert shown.messages == [ANSWER]
    await sms.aclose()
    assert messages(fake) == []


async def test_a_verified_person_whose_phone_is_not_known_gets_no_sms(redis: Redis, vault: pii.Vault) -> None:
    fake = fake_provider()
    sms = downlink(redis, fake)
    shown = await notify.send_notices(reply(), message(), person(), vault, PSEUDONYMS, sms)
    assert shown.messages == [ANSWER]
    await sms.aclose()
    assert messages(fake) == []


async def test_a_reply_without_notices_is_left_alone(redis: Redis, vault: pii.Vault) -> None:
    plain = BotReply("m1", [ANSWER], {})
    assert await notify.send_notices(plain, message(), person(), vault, PSEUDONYMS, None) is plain
