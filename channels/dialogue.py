"""Talking to Rasa through the signed channel, with a deadline on every call.

A failure of any kind (refused, timed out, 5xx, unreadable) is one
:class:`DialogueUnavailableError`; the caller decides what the citizen hears.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import httpx

from channels.errors import DialogueUnavailableError
from channels.inbound import BotReply, InboundMessage
from hotline import signing
from hotline.identity import IdentityContext
from hotline.kb import TOPICS

WEBHOOK = "/webhooks/hotline/webhook"
CONTROL = "/webhooks/hotline/control"
CONTEXT = "/webhooks/hotline/context"
HANDOFF_INTENTS = frozenset({"request_human"})

BUSY_TEXT = (
    "抱歉，智能客服暂时繁忙，您的问题已经收到，系统恢复后会在这里答复您。"
    "如需马上得到帮助，请拨打12333人工服务（工作日工作时间），或稍后再试。"
)


class RasaClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        secret: bytes,
        timeout_s: float,
        topics: Mapping[str, str] | None = None,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._url = self._base + WEBHOOK
        self._secret = secret
        self._timeout = timeout_s
        self._topics = dict(topics or {})

    async def send(self, message: InboundMessage, identity: IdentityContext,
                   extra: Mapping[str, Any] | None = None) -> BotReply:
        metadata = {"channel": message.channel, **identity.to_metadata(self._secret), **(extra or {})}
        body = json.dumps(
            {"sender": message.conversation, "text": message.utterance,
             "message_id": message.message_id, "metadata": metadata},
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json", **signing.sign(self._secret, body)}
        try:
            response = await self._http.post(self._url, content=body, headers=headers,
                                             timeout=self._timeout)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DialogueUnavailableError(f"rasa: {type(exc).__name__}") from exc
        return BotReply(message.message_id, list(data.get("messages") or []), self.meta(data))

    async def _signed(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **signing.sign(self._secret, body)}
        try:
            response = await self._http.post(self._base + path, content=body, headers=headers,
                                             timeout=self._timeout)
            response.raise_for_status()
            return dict(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise DialogueUnavailableError(f"rasa: {type(exc).__name__}") from exc

    async def pause(self, conversation: str) -> None:
        """The bot stays silent while a human agent owns the conversation (ConversationPaused)."""
        await self._signed(CONTROL, {"sender": conversation, "event": "pause"})

    async def resume(self, conversation: str) -> None:
        await self._signed(CONTROL, {"sender": conversation, "event": "resume"})

    async def context(self, conversation: str) -> dict[str, Any]:
        """The bot transcript (personal data as vault tokens), slots and last intent."""
        return await self._signed(CONTEXT, {"sender": conversation})

    def meta(self, data: Mapping[str, Any]) -> dict[str, Any]:
        raw = data.get("meta") or {}
        intent = raw.get("intent")
        faq_id = raw.get("faq_id")
        topic = self.topic(faq_id)
        candidates = raw.get("candidates") or []
        if not faq_id and intent == "nlu_fallback" and candidates:
            # Not answered, but the clarifying question is about the closest entry's topic.
            topic = self.topic(candidates[0].get("faq_id"))
        return {
            "intent": intent,
            "confidence": raw.get("confidence"),
            "topic": topic,
            "faq_id": faq_id,
            "handoff": intent in HANDOFF_INTENTS or _has_handoff(data.get("messages") or []),
        }

    def topic(self, faq_id: str | None) -> str:
        if not faq_id:
            return "other"
        if faq_id in self._topics:
            return self._topics[faq_id]
        for topic in sorted(TOPICS, key=len, reverse=True):
            if faq_id.startswith(topic + "_"):
                return topic
        return "other"


def _has_handoff(messages: list[Mapping[str, Any]]) -> bool:
    return any((m.get("custom") or {}).get("type") == "handoff" for m in messages)


def busy_reply(message_id: str) -> BotReply:
    meta = {"intent": None, "confidence": None, "topic": None, "faq_id": None,
            "handoff": False}
    return BotReply(message_id, [{"text": BUSY_TEXT}], meta, status="deferred")
