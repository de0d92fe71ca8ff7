"""The phone line's door into the dialogue: the voice service (``python -m voice``, its own
process, docs/voice.md) posts each recognised utterance here and speaks the answer.

Not public: requests are signed with the gateway's signing secret (the same scheme the
gateway uses towards Rasa, :mod:`hotline.signing`), so only the voice service can start
turns on the ``voice`` channel. The call id never reaches Rasa: the conversation is its
pseudonym, which is also the context id the agent desktop gets on transfer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from channels import metrics
from channels.adapters.voice import VoiceAdapter
from channels.dialogue import busy_reply
from channels.errors import BadRequestError, UnauthorizedError
from hotline import signing

router = APIRouter(prefix="/api/v1/voice", include_in_schema=False)
MAX_BODY = 8 * 1024


class TurnIn(BaseModel):
    call_id: str = Field(min_length=1, max_length=256)
    message_id: str = Field(min_length=1, max_length=128)
    text: str = Field("", max_length=1000)
    # Keypad 0 asks for a human the way the widget's button does: an intent payload.
    payload: str | None = Field(None, pattern=r"^/[a-z_]{1,64}$")


class TurnOut(BaseModel):
    conversation: str
    message_id: str
    status: str
    text: str
    handoff: bool
    meta: dict[str, Any]


def conversation_for(services: Any, call_id: str) -> str:
    return VoiceAdapter.conversation(services.settings.pseudonym_secret.get_secret_value().encode(), call_id)


@router.post("/turns")
async def post_turn(request: Request) -> TurnOut:
    services = request.app.state.services
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequestError("请求过大。")
    try:
        signing.verify(services.settings.signing_secret.get_secret_value().encode(), body, request.headers)
    except signing.SignatureError as exc:
        metrics.refused.labels(VoiceAdapter.name, "signature").inc()
        raise UnauthorizedError() from exc
    try:
        turn = TurnIn.model_validate_json(body)
    except ValueError as exc:
        raise BadRequestError("请求格式不正确。") from exc
    adapter: VoiceAdapter = request.app.state.adapters[VoiceAdapter.name]
    conversation = conversation_for(services, turn.call_id)
    message = adapter.parse(conversation, turn.text, turn.message_id, turn.payload)
    if await services.stream.accept(message):
        metrics.inbound.labels(VoiceAdapter.name).inc()
    reply = await services.stream.wait_reply(message, services.settings.reply_wait_s)
    reply = reply or busy_reply(message.message_id)
    spoken = adapter.render(reply)
    return TurnOut(conversation=conversation, message_id=reply.message_id, status=reply.status,
                   text=spoken.text, handoff=spoken.handoff, meta=reply.meta)
