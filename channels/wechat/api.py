"""WeChat's HTTP API (access token, 客服消息, media download, menu), over httpx.

The access token is fetched by one process at a time and shared through Redis: fetching
a new one retires the old one within minutes for every other user of the AppSecret, so
processes must never race for it. ``wechat:token:access`` holds it until five minutes
before WeChat's expiry; ``wechat:token:lock`` (SET NX with a deadline, released only by
its owner) lets one process fetch while the others wait for its result. A call answered
40001/40014/42001 (token invalid or expired) refreshes the token once and is retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import httpx
import structlog
from redis.asyncio import Redis

from channels.redisio import text
from channels.wechat.errors import ApiUnavailableError, TokenError, WeChatApiError, api_error

log = structlog.get_logger(__name__)

TOKEN_KEY = "wechat:token:access"  # noqa: S105 (a Redis key name, not a secret)
LOCK_KEY = "wechat:token:lock"
LOCK_MS = 10_000
EARLY_S = 300
REFRESH_CODES = frozenset({40001, 40014, 42001})
MAX_MEDIA = 5 * 1024 * 1024  # voice is at most 2 MB, images 10 MB; only voice is fetched
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_TRANSIENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRY_AFTER = (0.3, 1.0)


class _HideToken(logging.Filter):
    """httpx logs every request URL at INFO; WeChat's carry the access token."""

    _pattern = re.compile(r"((?:access_token|secret)=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._hide(a) for a in record.args)
        return True

    def _hide(self, arg: object) -> object:
        if isinstance(arg, (str, httpx.URL)) and self._pattern.search(str(arg)):
            return self._pattern.sub(r"\1***", str(arg))
        return arg


def _hide_tokens_in_httpx_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _HideToken) for f in logger.filters):
        logger.addFilter(_HideToken())


class AccessTokens:
    def __init__(self, redis: Redis, fetch: Callable[[], Awaitable[tuple[str, int]]],
                 wait_s: float = 10.0) -> None:
        self.redis = redis
        self._fetch = fetch
        self._wait_s = wait_s

    async def get(self) -> str:
        cached = await self.redis.get(TOKEN_KEY)
        return text(cached) if cached else await self.refresh(stale=None)

    async def refresh(self, stale: str | None) -> str:
        """A token other than ``stale``: fetched here under the lock, or by whoever holds it."""
        deadline = time.monotonic() + self._wait_s
        while True:
            owner = uuid.uuid4().hex
            if await self.redis.set(LOCK_KEY, owner, nx=True, px=LOCK_MS):
                try:
                    current = await self._current(stale)
                    if current:
                        return current  # refreshed by another process meanwhile
                    token, expires_in = await self._fetch()
                    await self.redis.set(TOKEN_KEY, token, ex=max(60, expires_in - EARLY_S))
                    log.info("wechat.token_refreshed", expires_in=expires_in)
                    return token
                finally:
                    await self.redis.eval(_RELEASE, 1, LOCK_KEY, owner)
            await asyncio.sleep(0.1)
            current = await self._current(stale)
            if current:
                return current
            if time.monotonic() > deadline:
                raise TokenError(-1, "timed out waiting for the token refresh")

    async def _current(self, stale: str | None) -> str | None:
        cached = await self.redis.get(TOKEN_KEY)
        value = text(cached) if cached else None
        return value if value and value != stale else None


@dataclass(frozen=True)
class Media:
    content: bytes
    content_type: str


class WeChatApi:
    def __init__(self, http: httpx.AsyncClient, redis: Redis, base_url: str, app_id: str,
                 app_secret: str, timeout_s: float = 5.0) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._app_id = app_id
        self._secret = app_secret
        self._timeout = timeout_s
        self.tokens = AccessTokens(redis, self._fetch_token)
        _hide_tokens_in_httpx_logs()

    def __repr__(self) -> str:
        return f"WeChatApi(base={self._base!r}, app_id={self._app_id!r}, app_secret='**********')"

    async def send_text(self, openid: str, content: str) -> None:
        """One 客服消息 text. JSON goes out unescaped: WeChat shows ``\\uXXXX`` literally."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        await self._call("POST", "/cgi-bin/message/custom/send", body=body)

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self._call("POST", "/cgi-bin/menu/create", body=menu)

    async def download_media(self, media_id: str) -> Media:
        """A temporary media file (获取临时素材), e.g. a voice message's AMR or SILK."""
        token = await self.tokens.get()
        for attempt in (1, 2):
            url = self._base + "/cgi-bin/media/get"
            async with self._http.stream("GET", url, params={"access_token": token, "media_id": media_id},
                                         timeout=self._timeout) as response:
                kind = response.headers.get("content-type", "")
                if response.status_code >= 500:
                    raise ApiUnavailableError(response.status_code, "server error")
                if "json" in kind or "text/plain" in kind:
                    data = _json(await response.aread())
                    code = int(data.get("errcode") or 0)
                    if code in REFRESH_CODES and attempt == 1:
                        token = await self.tokens.refresh(stale=token)
                        continue
                    raise api_error(code or -1, str(data.get("errmsg") or ""))
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > MAX_MEDIA:
                        raise WeChatApiError(-1, "media too large")
                return Media(bytes(content), kind)
        raise WeChatApiError(-1, "unreachable")  # pragma: no cover

    async def _fetch_token(self) -> tuple[str, int]:
        params = {"grant_type": "client_credential", "appid": self._app_id, "secret": self._secret}
        data = await self._request("GET", "/cgi-bin/token", params=params)
        if data.get("errcode") or not data.get("access_token"):
            raise TokenError(int(data.get("errcode") or -1), str(data.get("errmsg") or ""))
        return str(data["access_token"]), int(data.get("expires_in") or 7200)

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        token = await self.tokens.get()
        for attempt in (1, 2):
            data = await self._request(method, path, params={"access_token": token}, body=body)
            code = int(data.get("errcode") or 0)
            if code in REFRESH_CODES and attempt == 1:
                log.info("wechat.token_rejected", errcode=code)
                token = await self.tokens.refresh(stale=token)
                continue
            if code:
                raise api_error(code, str(data.get("errmsg") or ""))
            return data
        raise WeChatApiError(-1, "unreachable")  # pragma: no cover

    async def _request(self, method: str, path: str, params: dict[str, str],
                       body: dict[str, Any] | None = None) -> dict[str, Any]:
        content = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if content else {}
        for delay in (*_RETRY_AFTER, None):
            try:
                response = await self._http.request(method, self._base + path, params=params,
                                                    content=content, headers=headers,
                                                    timeout=self._timeout)
            except _TRANSIENT as exc:  # nothing was sent: safe to try again
                failure: WeChatApiError = ApiUnavailableError(-1, type(exc).__name__)
            except httpx.HTTPError as exc:  # may have been sent: never resend a message
                raise ApiUnavailableError(-1, type(exc).__name__) from exc
            else:
                if response.status_code < 500:
                    return _json(response.content)
                failure = ApiUnavailableError(response.status_code, "server error")
            if delay is None:
                raise failure
            await asyncio.sleep(delay)
        raise failure  # pragma: no cover


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ApiUnavailableError(-1, "unreadable answer") from exc
    if not isinstance(data, dict):
        raise ApiUnavailableError(-1, "unreadable answer")
    return data
