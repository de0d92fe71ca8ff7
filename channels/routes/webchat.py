"""Web chat conversation API (ARCHITECTURE.md, "web chat API"; docs/webchat-api.md).

REST for apps and as the widget's fallback, a WebSocket for the widget. Both go through
:func:`_admit` (origin, size and rate limits) and the same durable inbound stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import MutableMapping
from typing import Any

import structlog
from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from channels import metrics, portal_login, webchat_outbox
from channels.adapters.webchat import MAX_TEXT, WebChatAdapter
from channels.dialogue import busy_reply
from channels.errors import (
    BadRequestError,
    ForbiddenError,
    GatewayError,
    PayloadTooLargeError,
    StoreUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
)
from channels.human import record_rating
from channels.inbound import BotReply, InboundMessage
from channels.limits import ADDRESS_TEXT, SESSION_TEXT
from channels.redisio import OUTAGE
from hotline.signing import pseudonym

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/api/v1/webchat", tags=["网页聊天"])

SESSION_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
# Far above MAX_TEXT: anything longer is not a citizen typing, so it is refused unread.
HARD_LIMIT = 5000
SATISFACTION_STREAM = "events:satisfaction"

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "消息为空"},
    403: {"description": "来源网页未获授权（WEBCHAT_ALLOWED_ORIGINS）"},
    413: {"description": "消息超过500字"},
    422: {"description": "请求格式不正确"},
    429: {"description": "发送过于频繁"},
}


class Button(BaseModel):
    title: str
    payload: str


class Message(BaseModel):
    text: str
    buttons: list[Button] = []
    custom: dict[str, Any] | None = None
    sender: str | None = Field(None, description="agent：人工客服所发；system：系统通知；省略：智能客服")


class HandoffOut(BaseModel):
    state: str = Field(description=(
        "bot：智能客服；queued：排队中；with_agent：人工服务中；closed：人工服务已结束"))
    position: int | None = Field(None, description="排队位置，1 表示下一位")
    wait_min: int | None = Field(None, description="预计等待分钟数（排队位置×平均处理时长÷在岗坐席）")
    message: str = Field(description="告诉市民的说明文字")


class Meta(BaseModel):
    intent: str | None = None
    confidence: float | None = None
    topic: str | None = None
    faq_id: str | None = None
    handoff: bool = False
    handoff_status: HandoffOut | None = None


class MessageIn(BaseModel):
    session_id: str = Field(pattern=SESSION_PATTERN, description="由客户端生成并保存的会话编号")
    text: str | None = Field(None, max_length=HARD_LIMIT, description=f"市民输入的文字，最多{MAX_TEXT}字")
    payload: str | None = Field(None, max_length=200, description="快捷按钮的 payload")
    message_id: str | None = Field(None, pattern=SESSION_PATTERN,
                                      description="客户端消息编号；重发时相同编号只答复一次")
    elder: bool = Field(False, description=(
        "长辈模式：答复用简短的白话版本，附专业术语的解释，并提供“听不懂？转人工”"))


class MessageOut(BaseModel):
    session_id: str
    message_id: str
    status: str = Field(description=(
        "answered：已答复；deferred：系统繁忙，稍后答复；failed：多次重试后仍失败"))
    messages: list[Message]
    meta: Meta


class Replies(BaseModel):
    session_id: str
    replies: list[MessageOut]


class SessionIn(BaseModel):
    session_id: str = Field(pattern=SESSION_PATTERN)


class LoginOut(BaseModel):
    level: str = Field(description="phone 或 verified")
    display_name: str | None = Field(None, description="脱敏后的姓名，如 张*")
    expires_at: int = Field(description="登录状态失效时间（Unix 秒）")


class RatingIn(BaseModel):
    session_id: str = Field(pattern=SESSION_PATTERN)
    score: int = Field(ge=1, le=5, description="1 非常不满意 … 5 非常满意")
    comment: str | None = Field(None, max_length=200)


class RatingOut(BaseModel):
    message: str


# -- shared by REST and the socket -------------------------------------------------------


def _conversation(services: Any, session_id: str) -> str:
    secret = services.settings.pseudonym_secret.get_secret_value()
    return pseudonym(secret.encode(), WebChatAdapter.name, session_id)


def _check_origin(services: Any, origin: str | None) -> None:
    # Apps and servers send no Origin; a browser always does, and it cannot be forged there.
    if origin and origin.rstrip("/") not in services.settings.allowed_origins:
        metrics.refused.labels(WebChatAdapter.name, "origin").inc()
        raise ForbiddenError()


async def _admit(services: Any, conversation: str, client: str, text: str | None,
                 payload: str | None) -> None:
    if not (text or "").strip() and not (payload or "").strip():
        raise BadRequestError("消息内容不能为空，请输入您要咨询的问题。")
    if len((text or "").strip()) > MAX_TEXT:
        metrics.refused.labels(WebChatAdapter.name, "size").inc()
        raise PayloadTooLargeError()
    settings = services.settings
    secret = settings.pseudonym_secret.get_secret_value().encode()
    try:
        await services.limiter.hit("session", conversation, settings.webchat_rate_session, SESSION_TEXT)
        await services.limiter.hit("address", pseudonym(secret, "ip", client),
                                   settings.webchat_rate_ip, ADDRESS_TEXT)
    except TooManyRequestsError:
        metrics.refused.labels(WebChatAdapter.name, "rate").inc()
        raise


async def _submit(services: Any, message: InboundMessage) -> None:
    if await services.stream.accept(message):
        metrics.inbound.labels(WebChatAdapter.name).inc()
    else:
        metrics.duplicates.labels(WebChatAdapter.name).inc()


async def _answer(services: Any, message: InboundMessage) -> BotReply:
    try:
        reply = await services.stream.wait_reply(message, services.settings.reply_wait_s)
    except OUTAGE as exc:  # the message is in the stream already: it will be answered, so hold
        log.warning("webchat.wait_failed", error=type(exc).__name__)
        reply = None
    return reply or busy_reply(message.message_id)


def _out(adapter: WebChatAdapter, session_id: str, reply: BotReply) -> MessageOut:
    return MessageOut(session_id=session_id, message_id=reply.message_id, status=reply.status,
                      **adapter.render(reply))


def _client(host: Any) -> str:
    return str(getattr(host, "host", None) or "unknown")


# -- REST ---------------------------------------------------------------------------------


@router.post("/messages", response_model=MessageOut, summary="发送一条消息并等待答复",
             responses=ERRORS)
async def post_message(body: MessageIn, request: Request) -> MessageOut:
    services = request.app.state.services
    adapter: WebChatAdapter = request.app.state.adapters[WebChatAdapter.name]
    _check_origin(services, request.headers.get("origin"))
    conversation = _conversation(services, body.session_id)
    await _admit(services, conversation, _client(request.client), body.text, body.payload)
    message = adapter.parse(conversation, body.text, body.payload, body.message_id, body.elder)
    await _submit(services, message)
    return _out(adapter, body.session_id, await _answer(services, message))


@router.get("/messages", response_model=Replies, summary="取回本会话的全部答复（含迟到的答复）")
async def get_messages(request: Request,
                       session_id: str = Query(pattern=SESSION_PATTERN)) -> Replies:
    services = request.app.state.services
    adapter: WebChatAdapter = request.app.state.adapters[WebChatAdapter.name]
    stored = await webchat_outbox.replies(services.redis, _conversation(services, session_id))
    return Replies(session_id=session_id, replies=[_out(adapter, session_id, r) for r in stored])


@router.post("/login", response_model=LoginOut, summary="门户已登录用户的身份凭证（JWT）",
             responses={401: {"description": "凭证无效、过期或未开通门户登录"}})
async def login(body: SessionIn, request: Request,
                authorization: str = Header("", description="Bearer <门户签发的 JWT>")) -> LoginOut:
    services = request.app.state.services
    settings = services.settings
    _check_origin(services, request.headers.get("origin"))
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError(portal_login.INVALID)
    keys = portal_login.PortalKeys(
        shared=settings.webchat_jwt_key.get_secret_value() if settings.webchat_jwt_key else None,
        public_pem=settings.webchat_jwt_public_key, issuer=settings.webchat_jwt_issuer)
    identity = portal_login.verify(token.strip(), keys,
                                   settings.pseudonym_secret.get_secret_value().encode(),
                                   settings.default_region)
    stored = await services.identities.put(_conversation(services, body.session_id), identity)
    return LoginOut(level=stored.level, display_name=stored.display_name,
                    expires_at=stored.expires_at or int(time.time()))


@router.get("/handoff", response_model=HandoffOut, summary="人工服务状态（排队位置等）")
async def handoff_status(request: Request,
                         session_id: str = Query(pattern=SESSION_PATTERN)) -> HandoffOut:
    services = request.app.state.services
    status = await services.handoff.status(_conversation(services, session_id))
    return HandoffOut(**status.as_dict())


@router.delete("/handoff", response_model=HandoffOut, summary="取消排队，回到智能客服")
async def cancel_handoff(request: Request,
                         session_id: str = Query(pattern=SESSION_PATTERN)) -> HandoffOut:
    services = request.app.state.services
    _check_origin(services, request.headers.get("origin"))
    status = await services.handoff.cancel(_conversation(services, session_id))
    return HandoffOut(**status.as_dict())


@router.post("/rating", response_model=RatingOut, summary="满意度评价（1–5）")
async def rate(body: RatingIn, request: Request) -> RatingOut:
    services = request.app.state.services
    _check_origin(services, request.headers.get("origin"))
    conversation = _conversation(services, body.session_id)
    await services.limiter.hit("rating", conversation, 10, SESSION_TEXT)
    # After an agent closed the conversation the rating is for the human service, and the
    # conversation is the bot's again; otherwise it rates the bot conversation just ended.
    human = (await services.handoff.state(conversation)).get("state") == "closed"
    if human:
        await services.handoff.finish(conversation)
    await record_rating(services.redis, WebChatAdapter.name, conversation, body.score,
                        "human" if human else "bot", body.comment or "")
    metrics.satisfaction.labels(WebChatAdapter.name, str(body.score)).inc()
    request.app.state.analytics.satisfaction(WebChatAdapter.name, conversation, body.score,
                                             body.comment or "")
    return RatingOut(message="感谢您的评价！我们会根据您的意见持续改进服务。")


# -- WebSocket ------------------------------------------------------------------------------


class _Socket:
    """One widget connection: frames in, frames out through a single writer."""

    def __init__(self, websocket: WebSocket, session_id: str) -> None:
        self.ws = websocket
        self.session_id = session_id
        self.services = websocket.app.state.services
        self.adapter: WebChatAdapter = websocket.app.state.adapters[WebChatAdapter.name]
        self.conversation = _conversation(self.services, session_id)
        self._sent: set[tuple[str, str]] = set()
        self._waiting: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        async with self.services.push.subscribe(self.conversation) as outbox:
            self.outbox = outbox
            writer = asyncio.create_task(self._write())
            await outbox.put({"type": "ready", "session_id": self.session_id})
            try:
                while True:
                    await self._on_frame(await self.ws.receive())
            except WebSocketDisconnect:
                pass
            except Exception as exc:
                # Left to FastAPI, an exception with a registered handler (Redis, GatewayError)
                # is "handled" by a discarded HTTP response and the socket drops without a close
                # frame (1006) and without a log line; seen in the soak.
                log.error("webchat.socket_failed", error=type(exc).__name__, exc_info=True)
                with contextlib.suppress(Exception):
                    await self.ws.close(code=1011, reason="server error")
            finally:
                for task in (*self._waiting, writer):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    async def _on_frame(self, received: MutableMapping[str, Any]) -> None:
        if received.get("type") == "websocket.disconnect":
            raise WebSocketDisconnect(received.get("code", 1000), received.get("reason"))
        try:
            frame = json.loads(received["text"]) if received.get("text") is not None else None
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self.outbox.put({"type": "error", "error": "消息格式不正确。"})
            return
        if frame.get("type") == "ping":
            await self.outbox.put({"type": "pong"})
            return
        if frame.get("type") != "message":
            await self.outbox.put({"type": "error", "error": "不支持的消息类型。"})
            return
        error = None
        try:
            await self._accept(frame)
        except GatewayError as exc:
            error = exc.message
        except OUTAGE as exc:  # nothing was accepted: the widget keeps the text to send again
            log.warning("webchat.store_unavailable", error=type(exc).__name__)
            error = StoreUnavailableError.message
        except ValueError:  # pydantic's ValidationError
            error = "消息格式不正确。"
        if error:
            await self.outbox.put({"type": "error", "error": error,
                                   "message_id": frame.get("message_id")})

    async def _accept(self, frame: dict[str, Any]) -> None:
        incoming = MessageIn(session_id=self.session_id, text=_str(frame.get("text")),
                             payload=_str(frame.get("payload")),
                             message_id=_str(frame.get("message_id")),
                             elder=frame.get("elder") is True)
        await _admit(self.services, self.conversation, _client(self.ws.client),
                     incoming.text, incoming.payload)
        message = self.adapter.parse(self.conversation, incoming.text, incoming.payload,
                                     incoming.message_id, incoming.elder)
        await _submit(self.services, message)
        await self.outbox.put({"type": "typing", "message_id": message.message_id})
        task = asyncio.create_task(self._await_answer(message))
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)

    async def _await_answer(self, message: InboundMessage) -> None:
        reply = await _answer(self.services, message)
        await self.outbox.put({"type": "reply", "reply": reply.to_json()})

    async def _write(self) -> None:
        try:
            while True:
                event = await self.outbox.get()
                if event.get("type") == "reply":
                    reply = BotReply.from_json(event["reply"])
                    seen = (reply.message_id, reply.status)
                    if seen in self._sent:  # answered both to the waiter and through the hub
                        continue
                    self._sent.add(seen)
                    event = {"type": "reply",
                             **_out(self.adapter, self.session_id, reply).model_dump()}
                await self.ws.send_json(event)
        except (WebSocketDisconnect, OSError, RuntimeError):
            return  # the widget went away; the reader sees the disconnect and cleans up
        except Exception as exc:
            log.error("webchat.writer_failed", error=type(exc).__name__, exc_info=True)
            with contextlib.suppress(Exception):
                await self.ws.close(code=1011, reason="server error")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@router.websocket("/ws")
async def conversation_socket(websocket: WebSocket, session_id: str = "") -> None:
    services = websocket.app.state.services
    await websocket.accept()
    try:
        _check_origin(services, websocket.headers.get("origin"))
        SessionIn(session_id=session_id)
    except ForbiddenError:
        await websocket.close(code=1008, reason="origin not allowed")
        return
    except ValueError:
        await websocket.close(code=1008, reason="bad session_id")
        return
    await _Socket(websocket, session_id).serve()
