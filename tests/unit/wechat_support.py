"""Shared by the WeChat unit tests: a gateway configured for WeChat, its upstreams faked
at the HTTP boundary (Rasa by ``FakeRasa``, WeChat's API by ``fakes.wechat_api`` in
process), and callbacks signed the way WeChat signs them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from contextlib import contextmanager
from typing import Any, Iterator
from unittest.mock import patch

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr
from wechatpy.crypto import PrpCrypto

from channels.app import create_app
from fakes import wechat_api
from hotline import paths
from hotline.signing import pseudonym
from tests.unit.conftest import FakeRasa, settings

TOKEN = "t0kenForTests"
AES_KEY = "Hk0bWvCq1mJ4xZ7rT2yP9sL6dN3gF8aE5uI0oK2wQ1c"
APP_ID = "wx0123456789abcdef"
APP_SECRET = "s3cret-for-tests"
API = "http://wechat.test"
ACCOUNT = "gh_12333test"
PSEUDONYM_SECRET = "b" * 64  # tests/unit/conftest.py's settings()


class Upstreams:
    """Rasa and WeChat's API behind one transport; ``rasa_delay_s`` makes the bot slow."""

    def __init__(self, rasa: FakeRasa) -> None:
        self.rasa = rasa
        self.fake = wechat_api.create_app(wechat_api.Config(APP_ID, APP_SECRET))
        self._wechat = httpx.ASGITransport(app=self.fake)
        self.rasa_delay_s = 0.0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "wechat.test":
            return await self._wechat.handle_async_request(request)
        if self.rasa_delay_s and request.url.path.startswith("/webhooks/hotline/webhook"):
            await asyncio.sleep(self.rasa_delay_s)
        return self.rasa(request)

    @property
    def sent(self) -> list[dict[str, Any]]:
        return list(self.fake.state.fake.messages)


def wechat_settings(redis_url: str, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "wechat_token": SecretStr(TOKEN), "wechat_encoding_aes_key": SecretStr(AES_KEY),
        "wechat_app_id": APP_ID, "wechat_app_secret": SecretStr(APP_SECRET),
        "wechat_api_base": API, "wechat_reply_budget_s": 1.5, **overrides}
    return settings(redis_url).model_copy(update=values)


@contextmanager
def gateway(redis_server: str, upstreams: Upstreams, **overrides: Any) -> Iterator[TestClient]:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server).flushdb()
    app = create_app(wechat_settings(redis_server, **overrides),
                     transport=httpx.MockTransport(upstreams))
    # The small test knowledge base: these tests are about the channel, not the answers.
    with patch.object(paths, "KB", paths.ROOT / "tests" / "fixtures" / "kb"), TestClient(app) as client:
        yield client


def conversation(openid: str) -> str:
    return pseudonym(PSEUDONYM_SECRET.encode(), "wechat", openid)


def sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 (WeChat's scheme)


def text_xml(openid: str, content: str, msg_id: int, created: int | None = None) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>")


def event_xml(openid: str, event: str, key: str = "", created: int | None = None) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
            f"<EventKey><![CDATA[{key}]]></EventKey></xml>")


def plain(xml: str, token: str = TOKEN, timestamp: int | None = None,
          nonce: str | None = None) -> tuple[dict[str, str], bytes]:
    """A plaintext-mode callback: (query, body)."""
    ts, nonce = str(timestamp or int(time.time())), nonce or secrets.token_hex(5)
    return {"signature": sha1(token, ts, nonce), "timestamp": ts, "nonce": nonce,
            "openid": "ignored"}, xml.encode()


def sealed(xml: str, token: str = TOKEN, aes_key: str = AES_KEY, app_id: str = APP_ID,
           timestamp: int | None = None, nonce: str | None = None) -> tuple[dict[str, str], bytes]:
    """A safe-mode callback, encrypted with wechatpy directly (not through the gateway's code)."""
    ts, nonce = str(timestamp or int(time.time())), nonce or secrets.token_hex(5)
    key = base64.b64decode(aes_key + "=")
    encrypt = PrpCrypto(key).encrypt(xml, app_id).decode()
    body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    query = {"signature": sha1(token, ts, nonce), "timestamp": ts, "nonce": nonce,
             "encrypt_type": "aes", "msg_signature": sha1(token, ts, nonce, encrypt)}
    return query, body.encode()


def open_reply(xml: str, aes_key: str = AES_KEY, app_id: str = APP_ID, token: str = TOKEN) -> str:
    """The plaintext inside a safe-mode passive reply, after checking its signature."""
    import xmltodict

    outer = xmltodict.parse(xml)["xml"]
    assert outer["MsgSignature"] == sha1(token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
    return str(PrpCrypto(base64.b64decode(aes_key + "=")).decrypt(outer["Encrypt"], app_id))


def content(reply_xml: str) -> str:
    import xmltodict

    return str(xmltodict.parse(reply_xml)["xml"]["Content"])
