"""Web chat: the widget on the 人社 portal and mobile apps using the conversation API."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from channels.adapters.base import register
from channels.inbound import BotReply, Capabilities, InboundMessage

MAX_TEXT = 500


class WebChatAdapter:
    name: ClassVar[str] = "webchat"
    capabilities: ClassVar[Capabilities] = Capabilities(max_length=2000, buttons=True)

    def parse(
        self,
        conversation: str,
        text: str | None,
        payload: str | None,
        message_id: str | None,
        elder: bool = False,
    ) -> InboundMessage:
        return InboundMessage(
            channel=self.name,
            conversation=conversation,
            message_id=message_id or uuid.uuid4().hex,
            text=(text or "").strip()[:MAX_TEXT],
            payload=(payload or "").strip() or None,
            reply_to=conversation,
            elder=elder,
        )

    def render(self, reply: BotReply) -> dict[str, Any]:
        return {"messages": [_message(m) for m in reply.messages], "meta": reply.meta}


def _message(message: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"text": message.get("text") or "", "buttons": []}
    for button in message.get("buttons") or []:
        out["buttons"].append({"title": button.get("title", ""), "payload": button.get("payload", "")})
    if message.get("custom"):
        out["custom"] = message["custom"]
    if message.get("sender") in ("agent", "system"):
        out["sender"] = message["sender"]
    return out


register(WebChatAdapter)
