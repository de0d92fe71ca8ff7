"""``hotline wechat menu``: publish ``menu.yml`` (or ``--file``) as the account's menu.

It talks to WeChat the way the gateway does, sharing the gateway's access token through
Redis. Like ``make run``: without ``WECHAT_API_BASE`` it targets the local fake WeChat API
with the development secrets in ``.hotline/secrets.env``; set ``WECHAT_API_BASE=
https://api.weixin.qq.com`` (and the real AppID and AppSecret) to publish for real.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from channels.wechat import menu
from channels.wechat.api import WeChatApi
from channels.wechat.errors import WeChatApiError
from hotline import paths, secrets


def publish_menu(path: Path | None = None) -> int:
    env = dict(os.environ)
    if not env.get("WECHAT_API_BASE"):
        env = {**secrets.read(paths.STATE / "secrets.env"), **env}
        env["WECHAT_API_BASE"] = f"http://127.0.0.1:{env.get('FAKE_WECHAT_PORT', '8120')}"
    if not env.get("WECHAT_APP_ID") or not env.get("WECHAT_APP_SECRET"):
        print("✗ 缺少 WECHAT_APP_ID 或 WECHAT_APP_SECRET。", file=sys.stderr)
        return 2
    try:
        loaded = menu.load(path or menu.MENU_FILE)
    except menu.MenuError as exc:
        print(f"✗ 菜单文件有误：{exc}", file=sys.stderr)
        return 1
    redis_url = env.get("REDIS_URL") or f"redis://127.0.0.1:{env.get('EMBEDDED_REDIS_PORT', '6390')}/0"
    try:
        asyncio.run(_publish(loaded, env["WECHAT_API_BASE"], env["WECHAT_APP_ID"],
                             env["WECHAT_APP_SECRET"], redis_url))
    except WeChatApiError as exc:
        print(f"✗ 微信接口返回错误 {exc.errcode}：{exc.errmsg}", file=sys.stderr)
        return 1
    except (RedisError, OSError) as exc:
        print(f"✗ 无法连接 Redis 或微信接口（{type(exc).__name__}）：系统是否已用 make run 启动？",
              file=sys.stderr)
        return 1
    names = "、".join(b["name"] for b in loaded["button"])
    print(f"✓ 已发布公众号菜单（{names}）到 {env['WECHAT_API_BASE']}")
    return 0


async def _publish(loaded: dict[str, object], base: str, app_id: str, app_secret: str,
                   redis_url: str) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True, socket_connect_timeout=2)
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0)) as http:
            await WeChatApi(http, redis, base, app_id, app_secret).create_menu(menu.for_wechat(loaded))
    finally:
        await redis.aclose()
