"""The gateway's private door into Rasa.

Every request is signed by the gateway (see :mod:`hotline.signing`); anything unsigned,
stale or tampered with is refused before it reaches the dialogue engine. The request
carries the pseudonymous conversation id, the text, the message id and trusted metadata
(channel, identity context). The answer is the bot's messages plus ``meta`` read back from
the tracker: intent, confidence and the retrieval intent that answered.

Delivery is idempotent by message id: when the gateway retries a message that Rasa has
already processed (it crashed before recording the answer), the stored answer is
returned instead of running the turn twice. A turn is also never cut short by the gateway
giving up: Sanic cancels a handler whose client has gone (the gateway waits
``RASA_TIMEOUT_S``), so the turn runs in a task of its own, and a redelivery of a message
still being worked on waits for that same task instead of starting the turn again. Without
this an overloaded Rasa threw away every turn that waited longer than the gateway's
timeout for its conversation's lock, and each redelivery queued up again behind it
(BENCHMARKS.md, soak).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    UserUttered,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from hotline import signing
from hotline.turns import Turns

logger = logging.getLogger(__name__)

SECRET_ENV = "HOTLINE_SIGNING_SECRET"  # noqa: S105 (a variable name, not a secret)
MAX_TEXT = 2000


class SignedGatewayInput(InputChannel):
    """Input channel for requests signed by the 12333 gateway."""

    @classmethod
    def name(cls) -> Text:
        return "hotline"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SignedGatewayInput":
        credentials = credentials or {}
        window = int(credentials.get("window_s", signing.DEFAULT_WINDOW_S))
        return cls(window=window)

    def __init__(self, window: int = signing.DEFAULT_WINDOW_S) -> None:
        self.window = window
        self.turns = Turns()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("hotline_gateway", __name__)
        channel = self

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        def refused(request: Request) -> Optional[HTTPResponse]:
            secret = os.environ.get(SECRET_ENV, "").encode()
            try:
                signing.verify(secret, request.body, request.headers, window=channel.window)
            except signing.SignatureError as exc:
                # Never log the body: it may hold a citizen's words.
                logger.warning("gateway request refused: %s", exc)
                return response.json({"error": "unauthorized"}, status=401)
            return None

        @hook.route("/control", methods=["POST"])
        async def control(request: Request) -> HTTPResponse:
            """Pause the bot while a human agent owns the conversation; resume it after."""
            refusal = refused(request)
            if refusal is not None:
                return refusal
            try:
                payload = json.loads(request.body)
                sender = str(payload["sender"])
                event = {"pause": ConversationPaused, "resume": ConversationResumed}[payload["event"]]
            except (ValueError, KeyError, TypeError):
                return response.json({"error": "bad request"}, status=400)
            agent = request.app.ctx.agent
            async with agent.lock_store.lock(sender):
                tracker = await agent.tracker_store.get_or_create_tracker(sender)
                tracker.update(event())
                await agent.tracker_store.save(tracker)
            return response.json({"paused": tracker.is_paused()})

        @hook.route("/context", methods=["POST"])
        async def context(request: Request) -> HTTPResponse:
            """What an agent needs to take over: the transcript so far, slots, last intent."""
            refusal = refused(request)
            if refusal is not None:
                return refusal
            try:
                sender = str(json.loads(request.body)["sender"])
            except (ValueError, KeyError, TypeError):
                return response.json({"error": "bad request"}, status=400)
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            if tracker is None:
                return response.json({"transcript": [], "slots": {}, "intent": None, "paused": False})
            return response.json(_context(tracker))

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refusal = refused(request)
            if refusal is not None:
                return refusal
            try:
                payload = json.loads(request.body)
                sender = str(payload["sender"])
                text = str(payload.get("text") or "")[:MAX_TEXT]
                message_id = str(payload["message_id"])
                metadata = dict(payload.get("metadata") or {})
            except (ValueError, KeyError, TypeError):
                return response.json({"error": "bad request"}, status=400)

            agent = request.app.ctx.agent
            replayed = await _answer_already_given(agent, sender, message_id)
            if replayed is not None:
                return response.json(replayed)

            async def turn() -> Dict[str, Any]:
                collector = _ChannelCollector(str(metadata.get("channel") or ""))
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender,
                        input_channel=str(metadata.get("channel") or channel.name()),
                        message_id=message_id,
                        metadata=metadata,
                    )
                )
                tracker = await agent.tracker_store.retrieve(sender)
                meta = _meta(tracker.latest_message.parse_data if tracker else {})
                return {"messages": collector.messages, "meta": meta, "replayed": False}

            return response.json(await channel.turns.run((sender, message_id), turn))

        return hook


class _ChannelCollector(CollectingOutputChannel):
    """Collects the replies under the citizen's channel name, so that Rasa picks the
    response variants compiled for it (``channel: sms`` / ``voice``: the short answers)."""

    def __init__(self, channel_name: str) -> None:
        super().__init__()
        self._channel_name = channel_name or CollectingOutputChannel.name()

    def name(self) -> Text:  # type: ignore[override]  # a classmethod upstream
        return self._channel_name


async def _answer_already_given(agent: Any, sender: str, message_id: str) -> Optional[dict]:
    tracker = await agent.tracker_store.retrieve(sender)
    if tracker is None:
        return None
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, UserUttered) and event.message_id == message_id:
            messages: List[Dict[str, Any]] = []
            for later in events[index + 1 :]:
                if isinstance(later, UserUttered):
                    break
                if isinstance(later, BotUttered):
                    message = {"recipient_id": sender, "text": later.text}
                    message.update({k: v for k, v in (later.data or {}).items() if v})
                    messages.append(message)
            return {"messages": messages, "meta": _meta(event.parse_data), "replayed": True}
    return None


TRANSCRIPT_TURNS = 60


def _context(tracker: Any) -> Dict[str, Any]:
    lines: List[Dict[str, Any]] = []
    for event in tracker.events:
        if isinstance(event, UserUttered) and event.text:
            lines.append({"who": "citizen", "text": event.text, "at": event.timestamp,
                          "intent": (event.intent or {}).get("name")})
        elif isinstance(event, BotUttered) and event.text:
            lines.append({"who": "bot", "text": event.text, "at": event.timestamp})
    slots = {name: value for name, value in tracker.current_slot_values().items()
             if value not in (None, [], "") and not name.startswith("requested_slot")}
    latest = tracker.latest_message.parse_data if tracker.latest_message else {}
    return {"transcript": lines[-TRANSCRIPT_TURNS:], "slots": slots,
            "intent": _meta(latest)["intent"], "paused": tracker.is_paused()}


def _meta(parse_data: Dict[str, Any]) -> Dict[str, Any]:
    intent = parse_data.get("intent") or {}
    meta: Dict[str, Any] = {
        "intent": intent.get("name"),
        "confidence": round(float(intent.get("confidence") or 0.0), 4),
        "faq_id": None,
        "retrieval_confidence": None,
    }
    selector = (parse_data.get("response_selector") or {}).get("faq") or {}
    chosen = selector.get("response") or {}
    retrieval = chosen.get("intent_response_key") or ""
    if meta["intent"] == "faq" and retrieval.startswith("faq/"):
        meta["faq_id"] = retrieval.split("/", 1)[1]
        meta["retrieval_confidence"] = round(float(chosen.get("confidence") or 0.0), 4)
    # The closest entries, for clarifying questions and for analytics of misses.
    meta["candidates"] = [
        {"faq_id": str(r.get("intent_response_key", "")).split("/", 1)[-1],
         "confidence": round(float(r.get("confidence") or 0.0), 4)}
        for r in (selector.get("ranking") or [])[:10]
    ]
    meta["intent_ranking"] = [
        {"name": r.get("name"), "confidence": round(float(r.get("confidence") or 0.0), 4)}
        for r in (parse_data.get("intent_ranking") or [])[:3]
    ]
    return meta
