"""Web chat conversation API (ARCHITECTURE.md, "web chat API")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, model_validator

from channels import metrics, webchat_outbox
from channels.adapters.webchat import MAX_TEXT, WebChatAdapter
from channels.dialogue import busy_reply
from channels.errors import BadRequestError
from hotline.signing import pseudonym

router = APIRouter(prefix="/api/v1/webchat", tags=["网页聊天"])

SESSION_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


class Button(BaseModel):
    title: str
    payload: str


class Message(BaseModel):
    text: str
    buttons: list[Button] = []
    custom: dict[str, Any] | None = None


class Meta(BaseModel):
    intent: str | None = None
    confidence: float | None = None
    topic: str | None = None
    faq_id: str | None = None
    handoff: bool = False


class MessageIn(BaseModel):
    session_id: str = Field(pattern=SESSION_PATTERN, description="由客户端生成并保存的会话编号")
    text: str | None = Field(None, max_length=MAX_TEXT, description="市民输入的文字")
    payload: str | None = Field(None, max_length=200, description="快捷按钮的 payload")
    message_id: str | None = Field(None, pattern=SESSION_PATTERN,
                                      description="客户端消息编号；重发时相同编号只答复一次")

    @model_validator(mode="after")
    def _has_content(self) -> MessageIn:
        if not (self.text or "").strip() and not (self.payload or "").strip():
            raise BadRequestError("消息内容不能为空，请输入您要咨询的问题。")
        return self


class MessageOut(BaseModel):
    session_id: str
    message_id: str
    status: str = Field(description="answered：已答复；deferred：系统繁忙，稍后答复")
    messages: list[Message]
    meta: Meta


class Replies(BaseModel):
    session_id: str
    replies: list[MessageOut]


def _conversation(request: Request, session_id: str) -> str:
    secret = request.app.state.services.settings.pseudonym_secret.get_secret_value()
    return pseudonym(secret.encode(), WebChatAdapter.name, session_id)


@router.post("/messages", response_model=MessageOut, summary="发送一条消息并等待答复")
async def post_message(body: MessageIn, request: Request) -> MessageOut:
    services = request.app.state.services
    adapter: WebChatAdapter = request.app.state.adapters[WebChatAdapter.name]
    message = adapter.parse(_conversation(request, body.session_id), body.text, body.payload,
                            body.message_id)
    if await services.stream.accept(message):
        metrics.inbound.labels(adapter.name).inc()
    else:
        metrics.duplicates.labels(adapter.name).inc()
    reply = await services.stream.wait_reply(message, services.settings.reply_wait_s)
    reply = reply or busy_reply(message.message_id)
    return MessageOut(session_id=body.session_id, message_id=message.message_id,
                      status=reply.status, **adapter.render(reply))


@router.get("/messages", response_model=Replies, summary="取回本会话的全部答复（含迟到的答复）")
async def get_messages(request: Request,
                       session_id: str = Query(pattern=SESSION_PATTERN)) -> Replies:
    services = request.app.state.services
    adapter: WebChatAdapter = request.app.state.adapters[WebChatAdapter.name]
    stored = await webchat_outbox.replies(services.redis, _conversation(request, session_id))
    return Replies(session_id=session_id, replies=[
        MessageOut(session_id=session_id, message_id=r.message_id, status=r.status,
                   **adapter.render(r)) for r in stored
    ])
