"""The WeChat channel's core, free of FastAPI: a callback in, the answer out; and the
客服消息 side of replies that miss the 5-second window.

The 5-second rule. WeChat waits five seconds for the answer to a callback, then drops the
connection and tries again (three tries). A callback puts the message into the inbound
stream and waits up to ``WECHAT_REPLY_BUDGET_S`` (4.0 s) for the bot. The rest of the five
seconds is margin for what the budget does not see: WeChat's request and our answer
crossing the internet (tens of ms inside China, a few hundred over a bad link), TLS and
reading the body, and our own work around the wait. That work (signature, decrypt, parse,
Redis accept, claim, render, encrypt), measured through the test client over 380 callbacks
with Redis, the stream consumer and the client sharing a 2-core box, took 6.5 ms at the
median, 43 ms at p95, 76 ms at p99 and 103 ms at most; event-loop stalls under load (the
encoder's thread, a GC pause) add a few hundred ms more. One second covers all of it with
room to spare; a smaller budget only moves more answers to 客服消息, which cost quota.

Who answers. Either the callback itself (a passive reply) or the 客服消息 API, never both:
both sides try ``SET NX`` on ``wechat:claim:<message_id>`` and only the winner sends.
When the bot's reply is ready, the stream calls :meth:`WeChatChannel.deliver` before it
wakes its own waiters, so ``deliver`` wakes the callback itself (``wechat:ready:<id>``),
then gives it until the end of its budget to claim; after that it claims for 客服消息.
A callback that gets its reply after its budget answers ``success`` and leaves the reply
to ``deliver``. Long answers: the passive reply carries the first part, ``deliver`` the rest.

Voice messages without WeChat's transcript. The callback starts the recognition
(:mod:`channels.wechat.recognition`) as a task of its own and waits for the reply exactly
as for a text, within the same budget. The task puts what it heard into the inbound stream
as the citizen's turn, so a fast recognition and a fast bot still make a passive reply and
a slow one a 客服消息; when nothing could be heard it hands the polite request to type to
``deliver`` itself. ``wechat:voice:<message_id>`` (SET NX) keeps WeChat's resends from
starting a second recognition and holds that request for them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
import time
from typing import Mapping

import httpx
import structlog
import xmltodict
from prometheus_client import Counter
from redis.asyncio import Redis

from channels import metrics
from channels.adapters.wechat import (
    MAX_TEXT,
    PASSIVE_REPEAT_S,
    VOICE_UNRECOGNISED,
    Listen,
    Local,
    Turn,
    WeChatAdapter,
)
from channels.dialogue import BUSY_TEXT
from channels.inbound import BotReply, InboundMessage
from channels.settings import Settings
from channels.stream import InboundStream
from channels.wechat import menu, messages, security
from channels.wechat.api import WeChatApi
from channels.wechat.crypto import Cipher
from channels.wechat.errors import (
    ChannelNotConfiguredError,
    MalformedRequestError,
    QuotaError,
    WeChatApiError,
    WindowClosedError,
)
from channels.wechat.messages import WeChatMessage
from channels.wechat.recognition import VoiceRecognition
from channels.wechat.store import WeChatStore
from hotline.signing import pseudonym

log = structlog.get_logger(__name__)

SUCCESS = "success"
GRACE_S = 0.25           # deliver waits this much past the callback's budget before claiming
POLL_S = 0.025
REST_DELAY_S = 0.5       # let the passive first part reach the citizen before the rest
ECHO = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

answers = Counter("hotline_wechat_answers_total", "How WeChat callbacks were answered",
                  ["how"], registry=metrics.registry)
undelivered = Counter("hotline_wechat_undelivered_total", "Replies WeChat's 客服消息 API refused",
                      ["reason"], registry=metrics.registry)


class WeChatChannel:
    def __init__(self, settings: Settings, redis: Redis, api: WeChatApi,
                 menu_payloads: Mapping[str, str]) -> None:
        self.redis = redis
        self.api = api
        self.adapter = WeChatAdapter()
        self.store = WeChatStore(redis, settings.vault_key.get_secret_value())
        self.nonces = security.NonceCache(redis)
        self.budget_s = settings.wechat_reply_budget_s
        self.menu = dict(menu_payloads)
        self.clock = time.time  # the signature window's clock; tests replay dated vectors
        self.voices = VoiceRecognition(api, settings.wechat_voice_asr)
        self._hearing: set[asyncio.Task[None]] = set()
        self._token = settings.wechat_token.get_secret_value() if settings.wechat_token else ""
        self._pseudonyms = settings.pseudonym_secret.get_secret_value().encode()
        self.cipher: Cipher | None = None
        aes = settings.wechat_encoding_aes_key.get_secret_value() if settings.wechat_encoding_aes_key else ""
        if aes:
            try:
                self.cipher = Cipher(self._token, aes, settings.wechat_app_id)
            except ValueError as exc:  # the other channels still start; this one answers 503
                log.error("wechat.bad_encoding_aes_key", error=str(exc))
                self._token = ""

    @classmethod
    async def build(cls, settings: Settings, redis: Redis, http: httpx.AsyncClient) -> WeChatChannel:
        secret = settings.wechat_app_secret.get_secret_value() if settings.wechat_app_secret else ""
        api = WeChatApi(http, redis, settings.wechat_api_base, settings.wechat_app_id, secret)
        try:
            payloads = menu.payloads(await asyncio.to_thread(menu.load))
        except menu.MenuError as exc:
            log.warning("wechat.menu_unreadable", error=str(exc))
            payloads = {}
        return cls(settings, redis, api, payloads)

    @property
    def configured(self) -> bool:
        return bool(self._token)

    # -- the callback ------------------------------------------------------------------

    def verify_url(self, query: Mapping[str, str]) -> str:
        """The URL check of 服务器配置: echo ``echostr`` once the signature holds. An official
        account sends it in plaintext in every mode (only 企业微信 encrypts it)."""
        self._check(query)
        echo = query.get("echostr", "")
        if not ECHO.match(echo):
            raise MalformedRequestError()
        return echo

    async def receive(self, query: Mapping[str, str], body: bytes, stream: InboundStream) -> tuple[str, str]:
        """(answer, media type) for one callback; refusals raise the package's errors."""
        deadline = time.monotonic() + self.budget_s
        timestamp, nonce = self._check(query)
        xml = security.screen_xml(body)
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        sealed = self.cipher is not None
        if sealed and not encrypted:
            # The plain signature does not cover the body: with a key configured, only the
            # msg_signature over the ciphertext is trusted (no downgrade to plaintext).
            log.error("wechat.plaintext_refused", hint="明文模式 callback, WECHAT_ENCODING_AES_KEY set")
            raise MalformedRequestError()
        if sealed:
            xml = self._open(xml, timestamp, nonce, query.get("msg_signature", ""))
        elif encrypted and "<MsgType" not in xml:
            log.error("wechat.safe_mode_without_key", hint="set WECHAT_ENCODING_AES_KEY")
            raise MalformedRequestError()
        await self.nonces.check(nonce, body)
        message = messages.parse(xml)
        text = await self._answer(message, stream, deadline)
        if text is None:
            answers.labels("success").inc()
            return SUCCESS, "text/plain; charset=utf-8"
        answers.labels("passive").inc()
        reply = messages.passive_text(message, text, int(self.clock()))
        if self.cipher is not None:
            reply = self.cipher.seal(reply, secrets.token_hex(8), str(int(self.clock())))
        return reply, "application/xml; charset=utf-8"

    def _check(self, query: Mapping[str, str]) -> tuple[str, str]:
        if not self.configured:
            raise ChannelNotConfiguredError()
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        security.check_params(timestamp, nonce)
        security.check_signature((timestamp, nonce), self._token, query.get("signature", ""))
        security.check_timestamp(timestamp, self.clock())
        return timestamp, nonce

    def _open(self, xml: str, timestamp: str, nonce: str, msg_signature: str) -> str:
        assert self.cipher is not None
        try:
            outer = xmltodict.parse(xml, disable_entities=True).get("xml") or {}
        except Exception as exc:  # expat errors, or not a mapping at all
            raise MalformedRequestError() from exc
        encrypt = outer.get("Encrypt") if isinstance(outer, dict) else None
        if not isinstance(encrypt, str) or not encrypt:
            raise MalformedRequestError()
        security.check_signature((timestamp, nonce, encrypt), self._token, msg_signature)
        return security.screen_xml(self.cipher.decrypt(encrypt).encode())

    async def _answer(self, message: WeChatMessage, stream: InboundStream, deadline: float) -> str | None:
        conversation = pseudonym(self._pseudonyms, self.adapter.name, message.openid)
        if message.kind == "event" and message.event == "unsubscribe":
            await self.store.forget(conversation)
            return None
        await self.store.keep_openid(conversation, message.openid)
        plan = self.adapter.plan(message, self.menu, listen=self.voices.enabled)
        if isinstance(plan, Local):
            return plan.text or None
        if isinstance(plan, Listen):
            inbound = self.adapter.inbound(conversation, self.message_id(message, conversation), Turn())
            if await self.store.start_hearing(inbound.message_id):
                # Kept until heard: WeChat will not resend once told success, so a gateway
                # stopped half-way must find it again (resume_hearing).
                await self.store.remember_voice(inbound.message_id, {
                    "inbound": inbound.to_fields(), "media_id": plan.media_id, "format": plan.claimed_format})
                self._start_hearing(plan, inbound, stream)
            return await self._passive(inbound, deadline, voice=True)
        inbound = self.adapter.inbound(conversation, self.message_id(message, conversation), plan)
        await self._accept(inbound, stream)
        return await self._passive(inbound, deadline)

    def _start_hearing(self, listen: Listen, inbound: InboundMessage, stream: InboundStream) -> None:
        task = asyncio.create_task(self._hear(listen, inbound, stream))
        self._hearing.add(task)
        task.add_done_callback(self._hearing.discard)

    async def resume_hearing(self, stream: InboundStream) -> int:
        """Hear again the voice messages a stopped gateway had accepted but not heard (the
        stream drops a second turn for a message it already has). Called at start-up."""
        pending = await self.store.pending_voices()
        for record in pending.values():
            fields = record.get("inbound")
            if not isinstance(fields, dict):
                continue
            inbound = InboundMessage.from_fields({str(k): str(v) for k, v in fields.items()})
            self._start_hearing(Listen(str(record.get("media_id", "")), str(record.get("format", ""))),
                                inbound, stream)
        if pending:
            log.info("wechat.voice_resumed", count=len(pending))
        return len(pending)

    async def _accept(self, inbound: InboundMessage, stream: InboundStream) -> None:
        if inbound.payload is None:
            picked = messages.pick(inbound.text, await self.store.choices(inbound.conversation))
            inbound = dataclasses.replace(inbound, payload=picked) if picked else inbound
        if await stream.accept(inbound):
            metrics.inbound.labels(self.adapter.name).inc()
        else:
            metrics.duplicates.labels(self.adapter.name).inc()

    async def _hear(self, listen: Listen, inbound: InboundMessage, stream: InboundStream) -> None:
        """The rest of a voice message's callback, in a task of its own: recognition can
        outlast the budget, and then the answer goes out as 客服消息."""
        try:
            heard = await self.voices.hear(listen.media_id, listen.claimed_format)
            # Never the text: it may hold a 身份证号 (the stream's edge tokenises it).
            log.info("wechat.voice_heard", outcome=heard.outcome, seconds=round(heard.seconds, 1),
                     chars=len(heard.text), conversation=inbound.conversation,
                     message_id=inbound.message_id)
            if heard.text:
                await self.store.heard(inbound.message_id, "")
                await self._accept(dataclasses.replace(inbound, text=heard.text[:MAX_TEXT]), stream)
            else:
                reply = BotReply(inbound.message_id, [{"text": VOICE_UNRECOGNISED}],
                                 {"intent": None, "confidence": None, "topic": None, "faq_id": None,
                                  "handoff": False})
                await self.store.heard(inbound.message_id, reply.to_json())
                await self.deliver(inbound, reply)
        except Exception as exc:  # a task's failure would otherwise go unseen
            log.exception("wechat.voice_failed", error=type(exc).__name__, message_id=inbound.message_id)
        # Cancelled (the gateway stopping) or killed: the record stays for the next start.
        try:
            await self.store.voice_done(inbound.message_id)
        except Exception as exc:  # Redis away: heard once more at the next start, no harm
            log.warning("wechat.voice_pending_kept", error=type(exc).__name__, message_id=inbound.message_id)

    def message_id(self, message: WeChatMessage, conversation: str) -> str:
        # WeChat's advice: MsgId for messages, FromUserName + CreateTime for events. MsgIds
        # of different senders have been seen to collide (WxJava issue 333), so the sender's
        # pseudonym is part of it; an event's id is a keyed hash, the OpenID never shows.
        if message.msg_id:
            return f"m{message.msg_id}-{conversation[:12]}"
        return "e" + pseudonym(self._pseudonyms, "wechat-event", message.openid, str(message.created),
                               message.event, message.event_key, length=24)

    async def _passive(self, inbound: InboundMessage, deadline: float, voice: bool = False) -> str | None:
        reply = await self._wait(inbound, deadline, voice)
        if reply is None:
            return None
        if reply.status == "deferred":
            return BUSY_TEXT  # the bot is down: say so now, the answer follows as 客服消息
        outgoing = self.adapter.render(reply)
        if await self.store.claim(inbound.message_id, "passive"):
            await self.store.keep_choices(inbound.conversation, outgoing.choices)
            return outgoing.parts[0] if outgoing.parts else None
        claimed = await self.store.claimed(inbound.message_id)
        if claimed and claimed[0] == "passive" and time.time() - claimed[1] <= PASSIVE_REPEAT_S:
            return outgoing.parts[0] if outgoing.parts else None  # WeChat resent the callback
        return None  # 客服消息 has it

    async def _wait(self, inbound: InboundMessage, deadline: float, voice: bool) -> BotReply | None:
        stored = await self.redis.get(f"inbound:result:{inbound.key}")
        if not stored and voice:  # a resend of a voice message nothing could be heard in
            stored = await self.store.unheard_reply(inbound.message_id)
        if stored:
            return BotReply.from_json(stored)
        remaining = deadline - time.monotonic()
        if remaining < 0.01:  # BLPOP's timeout 0 would wait for ever
            return None
        # The stream's own wake-up (documented in channels/stream.py) brings deferral
        # notices; deliver's brings replies (it runs before the stream wakes anyone).
        keys = [f"inbound:notify:{inbound.key}", f"wechat:ready:{inbound.message_id}"]
        popped = await self.redis.blpop(keys, timeout=remaining)
        return BotReply.from_json(popped[1]) if popped else None

    # -- replies that missed the window -----------------------------------------------

    async def deliver(self, message: InboundMessage, reply: BotReply) -> None:
        """Called by the stream once per finished reply: 客服消息 unless the callback
        answered passively."""
        if not self.configured:
            log.warning("wechat.not_configured", message_id=message.message_id)
            return
        outgoing = self.adapter.render(reply)
        key = message.message_id
        window_ends = message.received_at + self.budget_s + GRACE_S
        if time.time() < window_ends:
            await self.store.wake(key, reply.to_json())
            # Polled: the callback claiming may be on another gateway replica.
            while time.time() < window_ends:
                if await self.store.claimed(key) is not None:
                    break
                await asyncio.sleep(POLL_S)
        if await self.store.claim(key, "custom"):
            await self.store.keep_choices(message.conversation, outgoing.choices)
            parts = outgoing.parts
        else:
            claimed = await self.store.claimed(key)
            if not claimed or claimed[0] != "passive" or len(outgoing.parts) < 2:
                return
            parts = outgoing.parts[1:]
            await asyncio.sleep(REST_DELAY_S)
        await self._send(message, parts)

    async def _send(self, message: InboundMessage, parts: tuple[str, ...]) -> None:
        if not parts:
            return
        openid = await self.store.openid(message.conversation)
        if openid is None:  # unsubscribed, or silent for 48 h: WeChat would refuse anyway
            await self._undelivered(message, "no_openid")
            return
        for part in parts:
            try:
                await self.api.send_text(openid, part)
            except WindowClosedError:
                await self._undelivered(message, "window_closed")  # 45015
                return
            except QuotaError:
                await self._undelivered(message, "quota")  # 45047
                return
            except WeChatApiError as exc:
                log.error("wechat.send_failed", errcode=exc.errcode, conversation=message.conversation,
                          message_id=message.message_id)
                await self._undelivered(message, f"error_{exc.errcode}")
                return
        answers.labels("custom").inc()

    async def _undelivered(self, message: InboundMessage, reason: str) -> None:
        undelivered.labels(reason).inc()
        log.warning("wechat.undelivered", reason=reason, conversation=message.conversation,
                    message_id=message.message_id)
        await self.store.undelivered(message.conversation, message.message_id, reason)
