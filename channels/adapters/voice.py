"""The phone line. A call is a conversation; each recognised utterance is one message.
A reply becomes one short text to be spoken: the knowledge base's short answers (Rasa
picks the ``channel: voice`` variants), no links, buttons read out as options."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from channels.adapters.base import register
from channels.inbound import BotReply, Capabilities, InboundMessage
from hotline.signing import pseudonym

MAX_TEXT = 200           # one recognised utterance; more is noise or a stuck recognizer
MAX_SPOKEN = 160         # about 40 seconds of speech: the caller can still interrupt
_URL = re.compile(r"https?://\S+|www\.\S+")
# Queue hints meant for text channels; a caller in the queue is already on the PBX's line.
_TEXT_ONLY = re.compile(r"回复“取消”[^。]*。")


@dataclass(frozen=True)
class Spoken:
    text: str
    handoff: bool = False


class VoiceAdapter:
    name: ClassVar[str] = "voice"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_length=MAX_SPOKEN, buttons=False, audio=True, short_answers=True)

    @classmethod
    def conversation(cls, pseudonym_secret: bytes, call_id: str) -> str:
        """The call's pseudonymous conversation id: also the context id sent on transfer."""
        return pseudonym(pseudonym_secret, cls.name, call_id)

    def parse(self, conversation: str, text: str, message_id: str,
              payload: str | None = None) -> InboundMessage:
        return InboundMessage(channel=self.name, conversation=conversation, message_id=message_id,
                              text=" ".join(text.split())[:MAX_TEXT], payload=payload or None,
                              reply_to=conversation)

    def render(self, reply: BotReply) -> Spoken:
        parts = [_speakable(str(m.get("text") or "")) for m in reply.messages]
        titles = [str(b.get("title") or "") for m in reply.messages for b in (m.get("buttons") or [])]
        if titles:
            parts.append("您可以说：" + "、".join(t for t in titles[:4] if t) + "。")
        status = (reply.meta.get("handoff_status") or {}).get("message")
        if status and str(status) not in parts:  # HumanDesk.join may have said it already
            parts.append(str(status))
        text = _TEXT_ONLY.sub("", "".join(p for p in parts if p))
        if len(text) > MAX_SPOKEN:
            cut = max(text.rfind(c, 0, MAX_SPOKEN) for c in "。；！？")
            text = text[:cut + 1] if cut > 0 else text[:MAX_SPOKEN]
        return Spoken(text, _transfer(reply))


def _transfer(reply: BotReply) -> bool:
    """Transfer the call only when agents are there: outside their hours the bot has said so
    and offered other help (a callback ticket), and the call goes on."""
    if not reply.meta.get("handoff"):
        return False
    requests = [m["custom"] for m in reply.messages if (m.get("custom") or {}).get("type") == "handoff"]
    return not requests or any(bool(r.get("within_hours")) for r in requests)


def _speakable(text: str) -> str:
    text = _URL.sub("", text)
    return re.sub(r"[#*_`>|]+", "", " ".join(text.split()))


register(VoiceAdapter)
