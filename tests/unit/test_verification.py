"""The verification form at the edge, against a real Redis: the business lookup and the
SMS downlink are replaced by recording fakes (the same shapes the gateway wires in)."""

from __future__ import annotations

import uuid
from typing import Any, AsyncIterator

import pytest
from redis.asyncio import Redis

from channels import notify, pii
from channels.business import BusinessUnavailableError, PersonRecord
from channels.identity_store import IdentityStore
from channels.inbound import InboundMessage
from channels.otp import OneTimeCodes
from channels.verification import LOCKED, NOTICE, VerificationDesk
from hotline.identity import IdentityContext

SECRET = b"p" * 32
ID_NUMBER = "11010519491231002X"
NAME = "张三丰"
PHONE = "13800000001"


class Desk:
    """One citizen talking to the desk the way the gateway passes messages."""

    def __init__(self, redis: Redis, clock: list[float]) -> None:
        self.sent: list[tuple[str, str]] = []
        self.business_up = True
        self.identities = IdentityStore(redis, b"s" * 32, "national")

        async def lookup(id_number: str, name: str) -> PersonRecord | None:
            if not self.business_up:
                raise BusinessUnavailableError("down")
            return PersonRecord("ref-1", PHONE, "北京市") if (id_number, name) == (ID_NUMBER, NAME) else None

        async def send_code(phone: str, text: str, key: str) -> None:
            self.sent.append((phone, text))

        self.desk = VerificationDesk(redis, pii.Vault(redis, pii.fernet_key("v")),
                                     OneTimeCodes(redis, SECRET, clock=lambda: clock[0]),
                                     self.identities, lookup, send_code, SECRET, "national")
        self.conversation = f"conv-{uuid.uuid4().hex[:8]}"

    def _message(self, text: str) -> InboundMessage:
        return InboundMessage("webchat", self.conversation, uuid.uuid4().hex, text=text)

    async def start(self, level: str = "verified") -> str:
        return str((await self.desk.start(self._message(""), level)).messages[0]["text"])

    async def say(self, text: str) -> str:
        stored = await self.desk.protect(self._message(text))
        reply = await self.desk.intercept(stored)
        assert reply is not None, f"not handled by the desk: {text}"
        return str(reply.messages[0]["text"])

    def code(self) -> str:
        return self.sent[-1][1].split("验证码为")[1][:6]


@pytest.fixture
async def redis(redis_server: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def clock() -> list[float]:
    return [1_800_000_000.0]


@pytest.fixture
def citizen(redis: Redis, clock: list[float]) -> Desk:
    return Desk(redis, clock)


async def test_verified_by_id_name_and_code_then_bound_to_another_channel(
        citizen: Desk, redis: Redis) -> None:
    assert (await citizen.start()).startswith(NOTICE)
    assert "姓名" in await citizen.say("1101 0519 4912 3100 2*")   # keyed, X as *
    answer = await citizen.say(NAME)
    assert "138****0001" in answer and citizen.sent[-1][0] == PHONE
    assert "验证成功" in await citizen.say(citizen.code())
    identity = await citizen.identities.get(citizen.conversation, "webchat")
    assert identity.level == "verified" and identity.id_number == "110***********002X"
    assert identity.display_name == "张**" and identity.region == "北京市"
    assert "已绑定" in await citizen.say("绑定")

    # The person's assurance reaches a channel that was bound earlier.
    elsewhere = "wechat-conv-1"
    assert (await citizen.identities.get(elsewhere, "wechat")).level == "anonymous"
    await citizen.identities.link(elsewhere, identity.person or "")
    recognised = await citizen.identities.get(elsewhere, "wechat")
    assert recognised.level == "verified" and recognised.channels == ("wechat",)
    assert await citizen.identities.unlink(elsewhere)
    assert (await citizen.identities.get(elsewhere, "wechat")).level == "anonymous"

    for key in await redis.keys("*"):
        value = await redis.dump(key) or b""
        for raw in (ID_NUMBER, NAME, PHONE):
            assert raw.encode() not in key and raw.encode() not in value, key


async def test_the_proved_phone_is_kept_for_sms_confirmations(citizen: Desk) -> None:
    await citizen.start()
    await citizen.say(ID_NUMBER)
    await citizen.say(NAME)
    await citizen.say(citizen.code())
    identity = await citizen.identities.get(citizen.conversation, "webchat")
    assert await notify.verified_phone(citizen.desk.vault, SECRET, identity) == PHONE
    stranger = IdentityContext(level="verified", person="someone-else")
    assert await notify.verified_phone(citizen.desk.vault, SECRET, stranger) is None


async def test_spoken_digits_are_understood(citizen: Desk) -> None:
    await citizen.start()
    assert "姓名" in await citizen.say("幺幺零幺零五 幺九四九幺二三幺 零零二叉")


async def test_wrong_check_digit_then_lockout(citizen: Desk) -> None:
    await citizen.start()
    first = await citizen.say("110105194912310021")
    assert "校验位不正确" in first and "还可尝试2次" in first
    assert "应为18位" in await citizen.say("1101051949")
    assert await citizen.say("110105194912310022") == LOCKED
    assert (await citizen.start()) == LOCKED  # locked for the conversation, not just the form


async def test_name_that_does_not_match_the_record(citizen: Desk) -> None:
    await citizen.start()
    await citizen.say(ID_NUMBER)
    answer = await citizen.say("李四")
    assert "未能与业务系统登记的信息匹配" in answer and "还可尝试2次" in answer
    assert citizen.sent == []


async def test_wrong_code_counts_down_then_locks(citizen: Desk) -> None:
    await citizen.start()
    await citizen.say(ID_NUMBER)
    await citizen.say(NAME)
    wrong = "000000" if citizen.code() != "000000" else "111111"
    for left in (4, 3, 2, 1):
        assert f"还可尝试{left}次" in await citizen.say(wrong)
    assert await citizen.say(wrong) == LOCKED


async def test_expired_code_and_code_limits(citizen: Desk, clock: list[float]) -> None:
    await citizen.start()
    await citizen.say(ID_NUMBER)
    await citizen.say(NAME)
    code = citizen.code()
    clock[0] += 301
    assert "已过期" in await citizen.say(code)
    assert "验证码已发送" in await citizen.say("重新发送")
    assert "1分钟后" in await citizen.say("重新发送")  # one a minute per number


async def test_hourly_code_limit_per_number(redis: Redis, clock: list[float]) -> None:
    codes = OneTimeCodes(redis, SECRET, clock=lambda: clock[0])
    for _ in range(5):
        await codes.issue(PHONE, f"c-{clock[0]}")
        clock[0] += 61
    with pytest.raises(Exception, match="1小时内"):
        await codes.issue(PHONE, "another-conversation")


async def test_codes_are_single_use(redis: Redis, clock: list[float]) -> None:
    codes = OneTimeCodes(redis, SECRET, clock=lambda: clock[0])
    code = await codes.issue(PHONE, "c")
    assert (await codes.check(PHONE, code)).outcome == "ok"
    assert (await codes.check(PHONE, code)).outcome == "expired"
    stored: Any = await redis.keys("otp:*")
    assert all(PHONE.encode() not in key for key in stored)


async def test_business_system_down_is_said_plainly(citizen: Desk) -> None:
    citizen.business_up = False
    await citizen.start()
    await citizen.say(ID_NUMBER)
    assert "暂时无法核验" in await citizen.say(NAME)


async def test_cancel_and_unbind(citizen: Desk) -> None:
    await citizen.start()
    assert "已退出" in await citizen.say("取消")
    assert await citizen.desk.intercept(InboundMessage("webchat", citizen.conversation, "m",
                                                       text="你好")) is None
    assert "没有绑定" in await citizen.say("解除绑定")


async def test_phone_level_by_code_to_the_given_number(citizen: Desk) -> None:
    await citizen.start("phone")
    assert "138****0001" in await citizen.say(f"我的手机号是{PHONE}")
    assert "手机号验证" in await citizen.say(citizen.code())
    assert (await citizen.identities.get(citizen.conversation, "webchat")).level == "phone"


async def test_asking_for_a_person_mid_form_leaves_it_for_the_handoff(citizen: Desk) -> None:
    await citizen.start()
    await citizen.say(ID_NUMBER)  # now it asks for the name
    for asked in ("转人工", "/request_human"):  # typed, or keypad 0 on the phone
        message = await citizen.desk.protect(citizen._message(asked))
        assert message.text == asked  # not taken (and tokenised) as the name
    assert await citizen.desk.intercept(message) is None  # the dialogue hands over
    assert await citizen.desk.intercept(citizen._message("张三丰")) is None  # the form is over
