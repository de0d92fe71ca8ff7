"""A fake of WeChat's HTTP API for the official account: a real HTTP server with the
endpoints the gateway calls, for tests and for ``make run`` (nothing here is production).

Run it with ``python -m fakes.wechat_api --port 8120``; ``hotline run`` starts it when
``WECHAT_API_BASE`` is unset. It checks what WeChat checks: the AppID and AppSecret
(``WECHAT_APP_ID``/``WECHAT_APP_SECRET``) for a token, the token on every call (40001
unknown, 42001 expired; a new token retires the old ones within five minutes, as
WeChat's does), the 2048-byte text limit. Like WeChat it shows ``\\uXXXX`` escapes in
JSON literally, so a client that escapes Chinese is caught.

Test endpoints: ``GET /_fake/messages?touser=``, ``DELETE /_fake/messages``,
``GET /_fake/menu``, ``GET /_fake/state`` (token fetches), ``POST /_fake/media``
``{"media_id","content_base64","content_type"}``, ``POST /_fake/expire`` (every token
expires), ``POST /_fake/fail`` ``{"api": "send"|"token"|"media"|"menu", "errcode":
40001|45015|45047|500|503 …, "times": 1}`` (the next calls answer that), ``POST /_fake/reset``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

TOKEN_TTL_S = 7200
OLD_TOKEN_GRACE_S = 300
TEXT_LIMIT_BYTES = 2048
ERRMSG = {40001: "invalid credential, access_token is invalid or not latest",
          40007: "invalid media_id", 40013: "invalid appid", 40125: "invalid appsecret",
          42001: "access_token expired", 44002: "empty post data",
          45002: "content size out of limit",
          45015: "response out of time limit or subscription is canceled",
          45047: "out of response count limit", 47001: "data format error"}


@dataclass
class Config:
    app_id: str = ""
    app_secret: str = ""

    @classmethod
    def from_env(cls) -> Config:
        return cls(os.environ.get("WECHAT_APP_ID", ""), os.environ.get("WECHAT_APP_SECRET", ""))


@dataclass
class State:
    tokens: dict[str, float] = field(default_factory=dict)  # token → expiry (unix time)
    fetches: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)
    menus: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)


def _error(code: int) -> JSONResponse:
    return JSONResponse({"errcode": code, "errmsg": ERRMSG.get(code, "system error")})


def _wechat_json(raw: bytes) -> Any:
    # WeChat does not decode \uXXXX escapes: keep them as the literal text it would show.
    return json.loads(raw.replace(b"\\u", b"\\\\u"))


def create_app(config: Config | None = None) -> FastAPI:
    config = config or Config.from_env()
    state = State()
    app = FastAPI(title="模拟微信公众平台接口（测试与开发用）", docs_url=None, redoc_url=None)
    app.state.fake = state

    def failure(api: str) -> Response | None:
        for item in state.failures:
            if item["api"] in (api, "*") and item["times"] > 0:
                item["times"] -= 1
                code = int(item["errcode"])
                if 500 <= code < 600:
                    return Response("service unavailable", status_code=code)
                return _error(code)
        return None

    def token_problem(token: str) -> Response | None:
        expiry = state.tokens.get(token)
        if expiry is None:
            return _error(40001)
        return _error(42001) if expiry <= time.time() else None

    async def posted(request: Request, access_token: str, api: str) -> dict[str, Any] | Response:
        """The JSON body of an API call, or WeChat's answer refusing it."""
        if (problem := token_problem(access_token) or failure(api)) is not None:
            return problem
        try:
            body = _wechat_json(await request.body())
        except ValueError:
            return _error(47001)
        return body if isinstance(body, dict) else _error(47001)

    @app.get("/cgi-bin/token")
    async def token(grant_type: str = "", appid: str = "", secret: str = "") -> Response:
        if (failed := failure("token")) is not None:
            return failed
        if grant_type != "client_credential" or appid != config.app_id:
            return _error(40013)
        if not secrets.compare_digest(secret.encode(), config.app_secret.encode()):
            return _error(40125)
        now = time.time()
        for old, expiry in list(state.tokens.items()):
            state.tokens[old] = min(expiry, now + OLD_TOKEN_GRACE_S)
        value = secrets.token_urlsafe(48)
        state.tokens[value] = now + TOKEN_TTL_S
        state.fetches += 1
        return JSONResponse({"access_token": value, "expires_in": TOKEN_TTL_S})

    @app.post("/cgi-bin/message/custom/send")
    async def custom_send(request: Request, access_token: str = "") -> Response:
        body = await posted(request, access_token, "send")
        if isinstance(body, Response):
            return body
        content = str((body.get("text") or {}).get("content") or "")
        if body.get("msgtype") != "text" or not body.get("touser") or not content:
            return _error(44002)
        if len(content.encode()) > TEXT_LIMIT_BYTES:
            return _error(45002)
        state.messages.append({"touser": body["touser"], "msgtype": "text", "content": content,
                               "at": time.time()})
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    @app.get("/cgi-bin/media/get")
    async def media_get(access_token: str = "", media_id: str = "") -> Response:
        if (problem := token_problem(access_token) or failure("media")) is not None:
            return problem
        if media_id not in state.media:
            return _error(40007)
        content, kind = state.media[media_id]
        return Response(content, media_type=kind,
                        headers={"Content-disposition": f'attachment; filename="{media_id}"'})

    @app.post("/cgi-bin/menu/create")
    async def menu_create(request: Request, access_token: str = "") -> Response:
        body = await posted(request, access_token, "menu")
        if isinstance(body, Response):
            return body
        buttons = body.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return _error(40016)
        state.menus.append(body)
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    # -- test endpoints ---------------------------------------------------------------

    @app.get("/_fake/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/_fake/messages")
    async def messages(touser: str | None = Query(None)) -> list[dict[str, Any]]:
        return [m for m in state.messages if touser is None or m["touser"] == touser]

    @app.delete("/_fake/messages")
    async def clear() -> dict[str, int]:
        state.messages.clear()
        return {"cleared": 1}

    @app.get("/_fake/menu")
    async def current_menu() -> dict[str, Any]:
        return state.menus[-1] if state.menus else {}

    @app.get("/_fake/state")
    async def counts() -> dict[str, int]:
        return {"token_fetches": state.fetches, "messages": len(state.messages)}

    @app.post("/_fake/media")
    async def add_media(request: Request) -> dict[str, str]:
        body = await request.json()
        state.media[str(body["media_id"])] = (base64.b64decode(body["content_base64"]),
                                              str(body.get("content_type") or "audio/amr"))
        return {"media_id": str(body["media_id"])}

    @app.post("/_fake/expire")
    async def expire() -> dict[str, int]:
        for value in state.tokens:
            state.tokens[value] = 0.0
        return {"expired": len(state.tokens)}

    @app.post("/_fake/fail")
    async def fail(request: Request) -> dict[str, Any]:
        body = await request.json()
        item = {"api": str(body.get("api") or "send"), "errcode": int(body["errcode"]),
                "times": int(body.get("times") or 1)}
        state.failures.append(item)
        return item

    @app.post("/_fake/reset")
    async def reset() -> dict[str, str]:
        fresh = State()
        for name in ("tokens", "messages", "menus", "media", "failures"):
            setattr(state, name, getattr(fresh, name))
        state.fetches = 0
        return {"status": "reset"}

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="本地模拟微信公众平台接口（测试与开发用）")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8120)
    args = parser.parse_args(argv)
    # No WebSockets here; uvicorn's default WebSocket stack cannot import next to rasa-sdk's
    # websockets 10.4 (README, "Two environments").
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning", ws="none")


if __name__ == "__main__":
    main()
