"""The normalized inbound message every adapter produces, and the bot reply it gets.

Both are plain data with a flat string form for the Redis stream. The native sender id
stays inside the gateway; Rasa, analytics and keys see only the pseudonymous
conversation id.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Capabilities:
    max_length: int = 2000
    buttons: bool = True
    audio: bool = False
    short_answers: bool = False


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    conversation: str
    message_id: str
    text: str = ""
    payload: str | None = None
    received_at: float = field(default_factory=time.time)
    reply_to: str = ""
    # The citizen asked for plain wording (the widget's 长辈模式): short answers, jargon
    # explained, a way to a human offered with every answer.
    elder: bool = False

    @property
    def key(self) -> str:
        """Identity of this message for dedupe and result keys."""
        return f"{self.channel}:{self.message_id}"

    @property
    def utterance(self) -> str:
        return self.payload or self.text

    def to_fields(self) -> dict[str, str]:
        return {
            "channel": self.channel,
            "conversation": self.conversation,
            "message_id": self.message_id,
            "text": self.text,
            "payload": self.payload or "",
            "received_at": repr(self.received_at),
            "reply_to": self.reply_to,
            "elder": "1" if self.elder else "",
        }

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> InboundMessage:
        return cls(
            channel=fields["channel"],
            conversation=fields["conversation"],
            message_id=fields["message_id"],
            text=fields.get("text", ""),
            payload=fields.get("payload") or None,
            received_at=float(fields.get("received_at") or time.time()),
            reply_to=fields.get("reply_to", ""),
            elder=fields.get("elder") == "1",
        )


@dataclass(frozen=True)
class BotReply:
    message_id: str
    messages: list[dict[str, Any]]
    meta: dict[str, Any]
    status: str = "answered"

    def to_json(self) -> str:
        return json.dumps(
            {"message_id": self.message_id, "messages": self.messages, "meta": self.meta,
             "status": self.status},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> BotReply:
        data = json.loads(raw)
        return cls(data["message_id"], data["messages"], data["meta"], data.get("status", "answered"))
