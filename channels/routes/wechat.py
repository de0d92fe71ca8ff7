"""WeChat official account callbacks (服务器配置 URL): ``GET /wechat`` verifies the URL,
``POST /wechat`` receives messages and events. The request becomes plain data here
(query, raw body); :class:`channels.wechat.service.WeChatChannel` does the rest."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from channels.wechat import security
from channels.wechat.errors import ChannelNotConfiguredError, OversizeError

router = APIRouter(tags=["微信公众号"])

RESPONSES: dict[int | str, dict[str, str]] = {
    400: {"description": "内容无法识别（XML、密文或 AppID 不符）"},
    401: {"description": "签名校验失败"},
    403: {"description": "请求过期或重放"},
    413: {"description": "请求内容过大"},
    503: {"description": "渠道未配置（WECHAT_TOKEN）"},
}


@router.get("/wechat", summary="微信服务器地址验证（原样返回 echostr）", responses=RESPONSES)
async def verify_url(request: Request) -> Response:
    channel = request.app.state.wechat
    return Response(channel.verify_url(dict(request.query_params)), media_type="text/plain; charset=utf-8")


@router.post("/wechat", summary="接收微信消息与事件（明文、兼容、安全模式）", responses=RESPONSES)
async def callback(request: Request) -> Response:
    channel = request.app.state.wechat
    if not channel.configured:
        raise ChannelNotConfiguredError()
    body = await _read(request, security.MAX_BODY)
    answer, media_type = await channel.receive(dict(request.query_params), body,
                                               request.app.state.services.stream)
    return Response(answer, media_type=media_type)


async def _read(request: Request, limit: int) -> bytes:
    """The raw body, refused unread beyond ``limit`` (whatever Content-Length claims)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise OversizeError()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise OversizeError()
    return bytes(body)
