"""Personal numbers are tokenised before anything is stored, and come back masked."""

from __future__ import annotations

import redis as sync_redis
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from channels import pii
from tests.unit.conftest import FakeRasa

SECRET = b"k" * 32
ID_NUMBER = "11010519491231002X"
MOBILE = "13812345678"
CARD = "6222021234567890123"


def test_every_kind_is_replaced_by_a_stable_token() -> None:
    text = f"身份证{ID_NUMBER.lower()}，手机+86 {MOBILE}，卡号{CARD}，再说一遍{ID_NUMBER}"
    out, found = pii.tokenise(text, SECRET, "conv-1")
    assert ID_NUMBER not in out.upper() and MOBILE not in out and CARD not in out
    assert [f.kind for f in found] == ["ID", "ID", "CARD", "PHONE"]
    assert found[0].token == found[1].token  # the same number, the same token
    assert found[0].masked == "110***********002X" and found[3].masked == "138****5678"
    assert pii.tokenise(ID_NUMBER, SECRET, "conv-2")[1][0].token != found[0].token


def test_ordinary_numbers_are_left_alone() -> None:
    text = "2024年缴费15年，每月3000元，受理编号A2024-0001，12333"
    assert pii.tokenise(text, SECRET, "c")[0] == text


async def test_vault_reveals_for_actions_and_masks_for_citizens(redis_server: str) -> None:
    redis = Redis.from_url(redis_server)
    vault = pii.Vault(redis, pii.fernet_key("v" * 64))
    _, found = pii.tokenise(f"我的手机{MOBILE}", SECRET, "c")
    await vault.keep(found)
    token = found[0].token
    assert await vault.reveal(token) == MOBILE
    assert await vault.display(f"验证码已发送到{token}") == "验证码已发送到138****5678"
    assert MOBILE.encode() not in (await redis.get(f"pii:vault:{token}") or b"")
    other = pii.Vault(redis, pii.fernet_key("w" * 64))
    assert await other.reveal(token) is None  # a wrong key reads nothing
    assert await vault.display("PHONETOKEN_000000000000") == "（已隐藏）"
    await redis.aclose()


def test_the_gateway_stores_only_tokens(client: TestClient, rasa: FakeRasa, redis_server: str) -> None:
    text = f"我的身份证号是{ID_NUMBER}，电话{MOBILE}，帮我查养老金"
    client.post("/api/v1/webchat/messages", json={"session_id": "pii-1", "text": text})
    assert ID_NUMBER not in rasa.requests[-1]["text"] and "IDTOKEN_" in rasa.requests[-1]["text"]
    store = sync_redis.Redis.from_url(redis_server)
    for key in store.keys("*"):
        kind = store.type(key)
        values = {b"string": lambda k: [store.get(k) or b""],
                  b"list": lambda k: store.lrange(k, 0, -1),
                  b"hash": lambda k: list(store.hgetall(k).values()),
                  b"stream": lambda k: [v for _, f in store.xrange(k) for v in f.values()]}
        for value in values.get(kind, lambda k: [])(key):
            for raw in (ID_NUMBER, MOBILE):
                assert raw.encode() not in key and raw.encode() not in value, key
