"""WeChat's HTTP API client against the fake WeChat (in process): one token for every
process, refreshed once when WeChat rejects it, and WeChat's refusals told apart."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator

import httpx
import pytest

from channels.wechat import api as wechat_api_client
from channels.wechat.api import WeChatApi
from channels.wechat.errors import (
    ApiUnavailableError,
    QuotaError,
    TokenError,
    WeChatApiError,
    WindowClosedError,
)
from fakes import wechat_api

APP_ID, SECRET, BASE = "wx0123456789abcdef", "s3cret", "http://wechat.test"


@pytest.fixture
def fake() -> Any:
    return wechat_api.create_app(wechat_api.Config(APP_ID, SECRET))


@pytest.fixture
async def http(fake: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as client:
        yield client


def client(http: httpx.AsyncClient, redis: Any, secret: str = SECRET) -> WeChatApi:
    return WeChatApi(http, redis, BASE, APP_ID, secret)


async def fail(http: httpx.AsyncClient, api: str, errcode: int, times: int = 1) -> None:
    await http.post(BASE + "/_fake/fail", json={"api": api, "errcode": errcode, "times": times})


async def state(http: httpx.AsyncClient) -> dict[str, int]:
    return dict((await http.get(BASE + "/_fake/state")).json())


async def sent(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await http.get(BASE + "/_fake/messages")).json())


async def test_many_processes_share_one_token(http: httpx.AsyncClient, redis: Any) -> None:
    processes = [client(http, redis) for _ in range(4)]  # each as if in its own gateway
    tokens = await asyncio.gather(*(p.tokens.get() for p in processes for _ in range(5)))
    assert len(set(tokens)) == 1
    assert (await state(http))["token_fetches"] == 1
    assert await redis.get(wechat_api_client.TOKEN_KEY) == tokens[0]
    assert 7200 - 300 - 5 <= await redis.ttl(wechat_api_client.TOKEN_KEY) <= 7200 - 300
    assert await redis.exists(wechat_api_client.LOCK_KEY) == 0


async def test_customer_service_text_goes_out_unescaped(http: httpx.AsyncClient, redis: Any) -> None:
    await client(http, redis).send_text("oUser1", "您好，失业保险金的申领条件如下。")
    assert [(m["touser"], m["content"]) for m in await sent(http)] == [
        ("oUser1", "您好，失业保险金的申领条件如下。")]


async def test_a_rejected_token_is_refreshed_once_and_the_call_retried(http: httpx.AsyncClient,
                                                                       redis: Any) -> None:
    wechat = client(http, redis)
    first = await wechat.tokens.get()
    await fail(http, "send", 40001)
    await wechat.send_text("oUser1", "第一条")
    assert (await state(http))["token_fetches"] == 2
    assert await redis.get(wechat_api_client.TOKEN_KEY) != first
    await http.post(BASE + "/_fake/expire")  # 42001 for every token
    await wechat.send_text("oUser1", "第二条")
    assert (await state(http))["token_fetches"] == 3
    assert [m["content"] for m in await sent(http)] == ["第一条", "第二条"]


async def test_a_token_rejected_twice_is_an_error_not_a_loop(http: httpx.AsyncClient, redis: Any) -> None:
    await fail(http, "send", 40001, times=2)
    with pytest.raises(WeChatApiError) as raised:
        await client(http, redis).send_text("oUser1", "x")
    assert raised.value.errcode == 40001
    assert (await state(http))["token_fetches"] == 2
    assert await sent(http) == []


async def test_a_refresh_by_another_process_is_reused(http: httpx.AsyncClient, redis: Any) -> None:
    one, two = client(http, redis), client(http, redis)
    stale = await one.tokens.get()
    fresh = await two.tokens.refresh(stale=stale)
    assert await one.tokens.refresh(stale=stale) == fresh  # not a third fetch
    assert (await state(http))["token_fetches"] == 2


@pytest.mark.parametrize(("errcode", "error"), [(45015, WindowClosedError), (45047, QuotaError)])
async def test_window_and_quota_refusals_are_told_apart(http: httpx.AsyncClient, redis: Any,
                                                        errcode: int, error: type) -> None:
    await fail(http, "send", errcode)
    with pytest.raises(error) as raised:
        await client(http, redis).send_text("oUser1", "x")
    assert raised.value.errcode == errcode


async def test_a_server_error_is_retried_then_reported(http: httpx.AsyncClient, redis: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wechat_api_client, "_RETRY_AFTER", (0.01, 0.01))
    wechat = client(http, redis)
    await fail(http, "send", 503)
    await wechat.send_text("oUser1", "重试后送达")
    assert [m["content"] for m in await sent(http)] == ["重试后送达"]
    await fail(http, "send", 502, times=3)
    with pytest.raises(ApiUnavailableError):
        await wechat.send_text("oUser1", "送不出去")
    assert len(await sent(http)) == 1


async def test_a_wrong_secret_is_a_token_error(http: httpx.AsyncClient, redis: Any) -> None:
    with pytest.raises(TokenError) as raised:
        await client(http, redis, secret="wrong").send_text("oUser1", "x")
    assert raised.value.errcode == 40125
    assert await redis.exists(wechat_api_client.LOCK_KEY) == 0


async def test_media_download(http: httpx.AsyncClient, redis: Any) -> None:
    await http.post(BASE + "/_fake/media", json={"media_id": "v1", "content_base64": "IyFBTVIK",
                                                 "content_type": "audio/amr"})
    media = await client(http, redis).download_media("v1")
    assert (media.content, media.content_type) == (b"#!AMR\n", "audio/amr")
    with pytest.raises(WeChatApiError) as raised:
        await client(http, redis).download_media("missing")
    assert raised.value.errcode == 40007


async def test_menu_create(http: httpx.AsyncClient, redis: Any) -> None:
    from channels.wechat import menu

    await client(http, redis).create_menu(menu.for_wechat(menu.load()))
    published = (await http.get(BASE + "/_fake/menu")).json()
    assert [b["name"] for b in published["button"]] == ["业务查询", "政策咨询", "人工服务"]


def test_access_tokens_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    WeChatApi(httpx.AsyncClient(), None, BASE, APP_ID, SECRET)  # type: ignore[arg-type]
    url = httpx.URL(BASE + "/cgi-bin/message/custom/send?access_token=SECRET_TOKEN_VALUE&x=1")
    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info('HTTP Request: %s %s "%s %d %s"', "POST", url, "HTTP/1.1", 200, "OK")
    assert "SECRET_TOKEN_VALUE" not in caplog.text
    assert "access_token=***" in caplog.text
    assert SECRET not in repr(WeChatApi(httpx.AsyncClient(), None, BASE, APP_ID, SECRET))  # type: ignore[arg-type]


def test_the_menu_command_publishes_to_a_running_fake(redis_server: str, tmp_path: Any,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import os
    import subprocess
    import sys
    import time

    from hotline import cli, paths
    from tests.conftest import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": SECRET}
    server = subprocess.Popen([sys.executable, "-m", "fakes.wechat_api", "--port", str(port)],
                              env=env, cwd=paths.ROOT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/_fake/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        for name, value in {"WECHAT_API_BASE": base, "WECHAT_APP_ID": APP_ID,
                            "WECHAT_APP_SECRET": SECRET, "REDIS_URL": redis_server}.items():
            monkeypatch.setenv(name, value)
        assert cli.main(["wechat", "menu"]) == 0
        published = httpx.get(base + "/_fake/menu").json()
        assert [b["name"] for b in published["button"]] == ["业务查询", "政策咨询", "人工服务"]
        assert "人工服务" in capsys.readouterr().out
        broken = tmp_path / "menu.yml"
        broken.write_text("button: []\n", encoding="utf-8")
        assert cli.main(["wechat", "menu", "--file", str(broken)]) == 1
        monkeypatch.setenv("WECHAT_APP_SECRET", "wrong")
        monkeypatch.setattr(wechat_api_client, "TOKEN_KEY", "wechat:token:other")  # no cached token
        assert cli.main(["wechat", "menu"]) == 1
        assert "40125" in capsys.readouterr().err
    finally:
        server.terminate()
        server.wait(10)
