"""Sending SMS through each provider's format to the fake provider (a real ASGI app that
checks signatures), with a real Redis: retries, idempotency, limits, quiet hours, opt-out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from channels.sms import SmsRateLimited, SmsUnavailable
from channels.sms.downlink import QuietHours
from channels.sms.providers import BEIJING, Report
from channels.sms.senders import Credentials
from tests.unit.sms_helpers import PHONE, downlink, fake_provider, messages


@pytest.mark.parametrize("provider", ["generic", "aliyun", "tencent"])
async def test_each_provider_format_is_accepted_and_signed(redis: Redis, provider: str) -> None:
    fake = fake_provider()
    sms = downlink(redis, fake, provider)
    result = await sms.send(PHONE, "您好，社保卡丢失请先挂失。", kind="reply", idempotency_key="k1")
    [stored] = messages(fake)
    assert (result.status, result.message_id, result.parts) == ("sent", stored["id"], 1)
    assert stored["provider"] == provider and stored["idempotency_key"] == "k1"
    assert stored["parts"] == ["【12333】您好，社保卡丢失请先挂失。"]


@pytest.mark.parametrize(("provider", "credentials"), [
    ("aliyun", Credentials("LTAI-test", "wrong-secret", "12333", "SMS_1")),
    ("tencent", Credentials("AKID-test", "wrong-secret", "12333", "1110", "1400006666")),
    ("generic", Credentials(secret="wrong-key")),
])
async def test_a_bad_signature_is_refused_without_retrying(redis: Redis, provider: str,
                                                           credentials: Credentials) -> None:
    fake = fake_provider(access_key_secret="aliyun-secret")
    sms = downlink(redis, fake, provider, credentials)
    with pytest.raises(SmsUnavailable) as caught:
        await sms.send(PHONE, "您好", kind="reply", idempotency_key="k1")
    assert "12333" in caught.value.message and messages(fake) == []


async def test_provider_failures_are_retried_with_the_same_key(redis: Redis) -> None:
    fake = fake_provider()
    fake.state.store.failures = 2
    result = await downlink(redis, fake, attempts=3).send(PHONE, "您好", kind="reply", idempotency_key="k1")
    assert result.status == "sent" and len(messages(fake)) == 1


async def test_after_the_last_attempt_it_gives_up_in_chinese(redis: Redis) -> None:
    fake = fake_provider()
    fake.state.store.failures = 5
    with pytest.raises(SmsUnavailable, match="暂时无法发送"):
        await downlink(redis, fake, attempts=3).send(PHONE, "您好", kind="reply", idempotency_key="k1")
    assert messages(fake) == [] and fake.state.store.failures == 2


class LostAnswer(httpx.AsyncBaseTransport):
    """The request reaches the provider, but the first answer never comes back."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.lost = 1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.lost:
            self.lost -= 1
            raise httpx.ReadTimeout("lost", request=request)
        return response


@pytest.mark.parametrize("provider", ["generic", "aliyun", "tencent"])
async def test_a_retry_after_a_lost_answer_sends_one_sms(redis: Redis, provider: str) -> None:
    fake = fake_provider()
    sms = downlink(redis, fake, provider, transport=LostAnswer(fake))
    result = await sms.send(PHONE, "您好", kind="reply", idempotency_key="k-lost")
    assert result.status == "sent" and len(messages(fake)) == 1


async def test_the_same_idempotency_key_is_sent_once(redis: Redis) -> None:
    fake = fake_provider()
    sms = downlink(redis, fake)
    first = await sms.send(PHONE, "您好", kind="reply", idempotency_key="k1")
    second = await sms.send(PHONE, "您好", kind="reply", idempotency_key="k1")
    assert first == second and len(messages(fake)) == 1


async def test_per_number_rate_limit(redis: Redis) -> None:
    fake = fake_provider()
    sms = downlink(redis, fake, rate_per_minute=2)
    for key in ("a", "b"):
        await sms.send(PHONE, "您好", kind="reply", idempotency_key=key)
    with pytest.raises(SmsRateLimited, match="频繁"):
        await sms.send(PHONE, "您好", kind="otp", idempotency_key="c")
    await sms.send("13900139000", "您好", kind="reply", idempotency_key="d")  # another number is fine
    assert len(messages(fake)) == 2


async def test_daily_cap(redis: Redis) -> None:
    fake = fake_provider()
    now = [dt.datetime(2024, 5, 1, 9, tzinfo=BEIJING).timestamp()]
    sms = downlink(redis, fake, daily_cap=3, clock=lambda: now[0])
    for key in ("a", "b", "c"):
        await sms.send(PHONE, "您好", kind="reply", idempotency_key=key)
        now[0] += 120
    with pytest.raises(SmsRateLimited, match="上限"):
        await sms.send(PHONE, "您好", kind="reply", idempotency_key="d")
    now[0] += 86400
    assert (await sms.send(PHONE, "您好", kind="reply", idempotency_key="e")).status == "sent"


async def test_quiet_hours_delay_confirmations_only(redis: Redis) -> None:
    fake = fake_provider()
    now = [dt.datetime(2024, 5, 1, 23, 30, tzinfo=BEIJING).timestamp()]
    sms = downlink(redis, fake, quiet=QuietHours.parse("22:00-08:00"), clock=lambda: now[0])
    later = await sms.send(PHONE, "您的预约已确认。", kind="confirmation", idempotency_key="c1")
    assert later.status == "scheduled"
    assert await sms.send(PHONE, "您的预约已确认。", kind="confirmation", idempotency_key="c1") == later
    assert later.send_at == dt.datetime(2024, 5, 2, 8, tzinfo=BEIJING).timestamp()
    assert (await sms.send(PHONE, "验证码123456", kind="otp", idempotency_key="o1")).status == "sent"
    assert (await sms.send(PHONE, "您好", kind="reply", idempotency_key="r1")).status == "sent"
    assert await sms.flush_due() == 0 and len(messages(fake)) == 2
    now[0] = dt.datetime(2024, 5, 2, 8, 1, tzinfo=BEIJING).timestamp()
    assert await sms.flush_due() == 1
    assert [m["text"] for m in messages(fake)][-1] == "您的预约已确认。"
    assert await sms.flush_due() == 0


@pytest.mark.parametrize(("spec", "clock", "quiet"), [
    ("22:00-08:00", (21, 59), False), ("22:00-08:00", (22, 0), True), ("22:00-08:00", (7, 59), True),
    ("22:00-08:00", (8, 0), False), ("12:00-14:00", (13, 0), True), ("off", (23, 0), False),
])
def test_quiet_hours_window(spec: str, clock: tuple[int, int], quiet: bool) -> None:
    at = dt.datetime(2024, 5, 1, *clock, tzinfo=BEIJING).timestamp()
    assert (QuietHours.parse(spec).until(at) is not None) is quiet


async def test_opt_out_holds_for_everything_but_one_time_codes(redis: Redis) -> None:
    fake = fake_provider()
    sms = downlink(redis, fake)
    await sms.opt_out(PHONE)
    assert (await sms.send(PHONE, "您好", kind="reply", idempotency_key="r")).status == "opted_out"
    assert (await sms.send(PHONE, "已确认", kind="confirmation", idempotency_key="c")).status == "opted_out"
    assert (await sms.send(PHONE, "验证码123456", kind="otp", idempotency_key="o")).status == "sent"
    await sms.opt_in(PHONE)
    assert (await sms.send(PHONE, "您好", kind="reply", idempotency_key="r2")).status == "sent"


async def test_reports_are_recorded_by_provider_message_id(redis: Redis) -> None:
    sms = downlink(redis, fake_provider())
    await sms.record_report("generic", Report("m-9", False, "UNDELIV", "", 1714528800.0, "k1"))
    assert await sms.report("m-9") == {"delivered": "0", "code": "UNDELIV", "description": "",
                                       "reported_at": "1714528800.0", "out_id": "k1"}
    assert await sms.report("m-unknown") is None


async def test_redis_never_holds_the_number(redis: Redis) -> None:
    fake = fake_provider()
    now = [dt.datetime(2024, 5, 1, 23, tzinfo=BEIJING).timestamp()]
    sms = downlink(redis, fake, quiet=QuietHours.parse("22:00-08:00"), clock=lambda: now[0])
    await sms.send(PHONE, "您好", kind="reply", idempotency_key="r")
    await sms.send(PHONE, "已确认", kind="confirmation", idempotency_key="c")
    await sms.opt_out(PHONE)
    dump = []
    for key in await redis.keys("*"):
        kind = await redis.type(key)
        value = await redis.get(key) if kind == "string" else await redis.zrange(key, 0, -1)
        dump.append(f"{key}={value}")
    assert dump and not [line for line in dump if PHONE in line or PHONE[-8:] in line]


async def test_an_idempotency_key_may_hold_any_characters(redis: Redis) -> None:
    fake = fake_provider()
    result = await downlink(redis, fake).send(PHONE, "您好", kind="reply", idempotency_key="reply:消息 1")
    assert result.status == "sent" and messages(fake)[0]["idempotency_key"] == "reply:消息 1"
