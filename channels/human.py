"""The citizen's side of a human handoff, in every channel: joining the queue, talking to
the agent instead of the bot, the agent's words going out through the citizen's own
channel, and the satisfaction rating afterwards.

Rasa is told too: ``ConversationPaused`` when an agent takes over, ``ConversationResumed``
when they close, so the tracker shows the human part and the bot goes on with its slots.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from redis.asyncio import Redis

from channels.analytics.recorder import Recorder
from channels.dialogue import HANDOFF_INTENTS, RasaClient
from channels.errors import DialogueUnavailableError
from channels.handoff import DEFAULT_SKILL, SKILLS, HandoffQueue, HandoffStatus
from channels.inbound import BotReply, InboundMessage
from channels.masking import mask_text
from channels.redisio import text_map
from hotline import workhours
from hotline.identity import IdentityContext

log = structlog.get_logger(__name__)

SATISFACTION_STREAM = "events:satisfaction"
RATING_WAIT_S = 30 * 60
CANCEL_WORDS = frozenset({"取消", "取消排队", "不等了", "/cancel_handoff", "QX"})
RATING_DIGIT = re.compile(r"^\s*([1-5])\s*分?\s*$")
# How each channel asks for a rating (the web widget shows its own 1–5 buttons).
RATING_PROMPT = {
    "wechat": "请为本次服务评价，回复数字：5非常满意 4满意 3一般 2不满意 1非常不满意",
    "sms": "请评价本次服务，回复1-5（5非常满意，1非常不满意）",
    "voice": "请按1到5键为本次服务评价，5为非常满意。",
}
SHORT_CHANNELS = frozenset({"sms", "voice"})
SILENT_TEXT = ("抱歉，这个问题我现在没能处理好（系统忙）。您可以稍后再问一次，或回复“人工”转人工客服；"
               "也可以拨打12333。")
CALLBACK_WORDS = frozenset({"/request_callback", "回电", "预约回电", "预约人工回电"})
CALLBACK_OFFER_S = 3600

FileTicket = Callable[[dict[str, Any], str], Awaitable[dict[str, Any]]]  # (body, idempotency key)

Deliver = Callable[[InboundMessage, BotReply], Awaitable[None]]


def _meta(status: HandoffStatus, **extra: Any) -> dict[str, Any]:
    return {"intent": None, "confidence": None, "topic": None, "faq_id": None,
            "handoff": False, "handoff_status": status.as_dict(), **extra}


def skill_for(topic: str | None) -> str:
    return topic if topic in SKILLS else DEFAULT_SKILL


def _offered_key(conversation: str) -> str:
    return f"handoff:callback_offered:{conversation}"


def _rating_key(conversation: str) -> str:
    return f"rating:pending:{conversation}"


async def record_rating(redis: Redis, channel: str, conversation: str, score: int | None,
                        kind: str, comment: str = "") -> None:
    """One satisfaction record; ``score`` None means the citizen gave no answer."""
    await redis.xadd(SATISFACTION_STREAM, {
        "channel": channel, "conversation": conversation,
        "score": "" if score is None else str(score), "kind": kind,
        "comment": mask_text(comment), "at": repr(time.time()),
    }, maxlen=1_000_000, approximate=True)


async def _no_business(body: dict[str, Any], key: str) -> dict[str, Any]:
    raise RuntimeError("no business system configured")


class HumanDesk:
    def __init__(self, redis: Redis, queue: HandoffQueue, rasa: RasaClient, deliver: Deliver,
                 publish: Callable[[str, dict[str, Any]], Awaitable[None]],
                 file_ticket: FileTicket | None = None, events: Recorder | None = None) -> None:
        self.redis = redis
        self.events = events  # analytics: the handoff's life and the ratings
        self._file_ticket = file_ticket or _no_business
        self.queue = queue
        self.rasa = rasa
        self._deliver = deliver
        self._publish = publish  # web chat push frames for the citizen's open sockets

    # -- the citizen's messages --------------------------------------------------------------

    async def intercept(self, message: InboundMessage) -> BotReply | None:
        """The reply when the message is for the human side (or a rating), else None."""
        pending = text_map(await self.redis.hgetall(_rating_key(message.conversation)))
        if pending:
            await self.redis.delete(_rating_key(message.conversation))
            match = RATING_DIGIT.match(message.utterance)
            score = int(match.group(1)) if match else None
            await record_rating(self.redis, message.channel, message.conversation, score,
                                pending.get("kind") or "human")
            if self.events is not None:
                self.events.satisfaction(message.channel, message.conversation, score)
            if match:
                return BotReply(message.message_id, [{"text": "感谢您的评价！还有其他问题可以随时问我。"}],
                                _meta(HandoffStatus()))
        state = await self.queue.state(message.conversation)
        name = state.get("state")
        short = message.channel in SHORT_CHANNELS
        if name == "queued":
            if message.utterance.strip() in CANCEL_WORDS:
                status = await self.queue.cancel(message.conversation)
                self._record("handoff_cancelled", {**state, "conversation": message.conversation})
                return BotReply(message.message_id,
                                [{"text": "已为您取消排队。您可以继续提问，需要人工时再回复“人工”。"}],
                                _meta(status))
            await self.queue.touch_citizen(message.conversation)
            await self.queue.log(message.conversation, "citizen", message.utterance)
            status = await self.queue.status(message.conversation, short)
            return BotReply(message.message_id,
                            [{"text": "已记下您的问题，人工客服接入后会先看到。" + status.message}],
                            _meta(status))
        if name == "with_agent":
            await self.queue.touch_citizen(message.conversation)
            await self.queue.log(message.conversation, "citizen", message.utterance)
            return BotReply(message.message_id, [], _meta(await self.queue.status(message.conversation)))
        if name == "closed":
            await self.queue.finish(message.conversation)  # the bot answers from here on
        return None

    async def offer_callback(self, conversation: str) -> None:
        """Outside agents' hours the bot offered a callback: 回电 now files one."""
        await self.redis.set(_offered_key(conversation), "1", ex=CALLBACK_OFFER_S)

    async def callback(self, message: InboundMessage, identity: IdentityContext) -> BotReply | None:
        """The callback ticket, when the citizen takes up the offer; None if there was none."""
        if message.utterance.strip() not in CALLBACK_WORDS:
            return None
        if not await self.redis.exists(_offered_key(message.conversation)):
            return None
        meta = _meta(HandoffStatus(), intent="request_callback")
        if not identity.record_ref:
            return BotReply(message.message_id, [{
                "text": "为了给您回电，需要先核实您的身份（将使用您在社保登记的手机号）。"
                        "请回复“实名认证”完成核验后再回复“回电”；也可以在工作时间拨打12333。",
                "buttons": [{"title": "实名认证", "payload": "/verify_identity"}]}], meta)
        try:
            ticket = await self._file_ticket({
                "type": "callback", "summary": "市民在非工作时间申请人工回电",
                "channel": message.channel, "person_ref": identity.record_ref},
                f"callback:{message.conversation}:{message.message_id}")
        except Exception as exc:
            log.warning("handoff.callback_failed", error=type(exc).__name__)
            return BotReply(message.message_id, [{
                "text": "抱歉，回电预约暂时登记不上，请稍后再回复“回电”，或在工作时间拨打12333。"}], meta)
        await self.redis.delete(_offered_key(message.conversation))
        due = str(ticket.get("due_date") or "")
        when = f"{int(due[5:7])}月{int(due[8:10])}日前" if len(due) >= 10 else "工作时间"
        return BotReply(message.message_id, [{
            "text": f"已为您预约人工回电，工单号{ticket.get('ticket_no')}。工作人员将在{when}"
                    "拨打您在社保登记的手机号，请保持电话畅通。"}], meta)

    async def stand_in(self, message: InboundMessage, reply: BotReply,
                       identity: IdentityContext) -> BotReply:
        """Rasa understood but said nothing (its action server is down, say): the citizen
        still gets an answer, and a request for a human is still honoured."""
        if reply.messages or reply.status != "answered":
            return reply
        if reply.meta.get("intent") in HANDOFF_INTENTS:
            hours = workhours.from_env(identity.region)
            if hours.is_open(dt.datetime.now(dt.timezone.utc)):
                said = dataclasses.replace(reply, messages=[{"text": "好的，正在为您转接人工客服，请稍候。"}],
                                           meta={**reply.meta, "handoff": True})
                return await self.join(message, said, identity, {"reason": "citizen_request"})
            return dataclasses.replace(reply, messages=[{
                "text": f"现在是非工作时间，人工客服的服务时间为{hours.describe()}。"
                        "紧急问题请拨打12333，或稍后再试。"}])
        return dataclasses.replace(reply, messages=[{"text": SILENT_TEXT}])

    async def join(self, message: InboundMessage, reply: BotReply, identity: IdentityContext,
                   request: dict[str, Any]) -> BotReply:
        """The bot agreed to hand over (within hours): queue the conversation."""
        topic = str(reply.meta.get("topic") or "")
        priority = 1 if identity.level == "verified" else 0
        status = await self.queue.enqueue(
            message.conversation, message.channel, str(request.get("reason") or ""),
            skill_for(topic), region=identity.region, topic=topic, priority=priority,
            reply_to=message.reply_to)
        status = await self.queue.status(message.conversation, message.channel in SHORT_CHANNELS)
        self._record("handoff_queued", {**await self.queue.state(message.conversation),
                                        "conversation": message.conversation})
        messages = list(reply.messages)
        if message.channel != "webchat" and status.message:
            messages.append({"text": status.message})  # the widget shows it in its status line
        return BotReply(reply.message_id, messages,
                        {**reply.meta, "handoff_status": status.as_dict()}, reply.status)

    async def after_bot_turn(self, message: InboundMessage, reply: BotReply) -> BotReply:
        """A goodbye on WeChat or SMS ends a bot conversation: ask for a rating there (the
        widget has its own 结束对话 and buttons)."""
        prompt = RATING_PROMPT.get(message.channel)
        if not prompt or message.channel == "voice" or reply.meta.get("intent") != "goodbye":
            return reply
        await self.ask_rating(message.conversation, "bot", message.channel)
        return dataclasses.replace(reply, messages=[*reply.messages, {"text": prompt}])

    # -- the agent's side -----------------------------------------------------------------------

    async def say(self, conversation: str, text: str, status: HandoffStatus | None = None,
                  sender: str = "agent") -> None:
        """Send ``text`` to the citizen through their own channel."""
        state = await self.queue.state(conversation)
        channel = state.get("channel", "webchat")
        status = status or await self.queue.status(conversation, channel in SHORT_CHANNELS)
        message = InboundMessage(channel=channel, conversation=conversation,
                                 message_id=f"{sender}-{uuid.uuid4().hex}", received_at=0.0,
                                 reply_to=state.get("reply_to", ""))
        messages = [{"text": text, "sender": sender}] if text else []
        reply = BotReply(message.message_id, messages, _meta(status))
        await self._deliver(message, reply)
        if channel == "webchat":
            await self._publish(conversation, {"type": "handoff", **status.as_dict()})

    def _record(self, kind: str, state: dict[str, str], duration_s: float | None = None) -> None:
        if self.events is not None and state:
            self.events.record_handoff(kind, state.get("channel", ""), state.get("conversation", ""),
                                       state.get("agent") or None, duration_s,
                                       state.get("reason") or None, state.get("topic") or None)

    async def accepted(self, conversation: str, agent_name: str) -> None:
        state = await self.queue.state(conversation)
        since = float(state.get("since") or time.time())
        self._record("handoff_taken", {**state, "conversation": conversation}, time.time() - since)
        await self._rasa("pause", conversation)
        await self.say(conversation, f"您好，我是12333人工客服{agent_name}，很高兴为您服务。",
                       sender="agent")

    async def closed(self, conversation: str, text: str = "") -> None:
        await self._rasa("resume", conversation)
        state = await self.queue.state(conversation)
        now = time.time()
        handled = float(state.get("closed_at") or now) - float(state.get("accepted_at") or now)
        self._record("handoff_closed", {**state, "conversation": conversation}, max(0.0, handled))
        channel = state.get("channel", "webchat")
        text = text or "本次人工服务已结束，感谢您的耐心。之后的问题我（智能客服）会继续为您解答。"
        prompt = RATING_PROMPT.get(channel)
        if prompt:
            await self.ask_rating(conversation, "human", channel)
            text += prompt
        await self.say(conversation, text, HandoffStatus("closed", None, "人工服务已结束"),
                       sender="system")

    async def ask_rating(self, conversation: str, kind: str, channel: str) -> None:
        key = _rating_key(conversation)
        await self.redis.hset(key, mapping={"kind": kind, "channel": channel,
                                            "asked_at": repr(time.time())})
        await self.redis.expire(key, 2 * RATING_WAIT_S)  # outlives the wait: the sweeper sees it
        await self.redis.zadd("rating:asked", {conversation: time.time() + RATING_WAIT_S})

    async def unanswered_ratings(self) -> int:
        """Ratings asked for and not given within the wait: recorded as no answer."""
        count = 0
        for raw in await self.redis.zrangebyscore("rating:asked", 0, time.time()):
            conversation = raw.decode() if isinstance(raw, bytes) else str(raw)
            await self.redis.zrem("rating:asked", conversation)
            pending = text_map(await self.redis.hgetall(_rating_key(conversation)))
            if pending:  # gone when the citizen answered (or wrote something else)
                await self.redis.delete(_rating_key(conversation))
                await record_rating(self.redis, str(pending.get("channel") or ""), conversation,
                                    None, str(pending.get("kind") or "human"))
                if self.events is not None:
                    self.events.satisfaction(str(pending.get("channel") or ""), conversation, None)
                count += 1
        return count

    async def _rasa(self, event: str, conversation: str) -> None:
        try:
            await (self.rasa.pause(conversation) if event == "pause" else self.rasa.resume(conversation))
        except DialogueUnavailableError as exc:
            # The gateway keeps the messages away from Rasa anyway; the tracker just lacks the mark.
            log.warning("handoff.rasa_mark_failed", mark=event, error=str(exc))
