"""The gateway application: factory, lifespan-managed clients, the inbound consumer."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import SecretStr
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from channels import errors, logs, metrics, notify, pii, webchat_outbox
from channels.adapters import registry
from channels.analytics.recorder import start_recorder
from channels.answers import Answers
from channels.business import PersonRecord, verify_person
from channels.dialogue import RasaClient, busy_reply
from channels.handoff import HandoffQueue
from channels.human import HumanDesk
from channels.identity_store import IdentityStore
from channels.inbound import BotReply, InboundMessage
from channels.limits import RateLimiter
from channels.otp import OneTimeCodes
from channels.push import PushHub
from channels.routes.agent import AgentDesk
from channels.settings import Settings, get_settings
from channels.sms import replies as sms_replies
from channels.sms.downlink import SmsDownlink
from channels.staff import StaffDirectory, load_accounts
from channels.stream import InboundStream
from channels.verification import VerificationDesk
from channels.wechat.service import WeChatChannel
from hotline import paths
from hotline.identity import IdentityContext
from hotline.kb import KnowledgeBase, KnowledgeBaseError, load
from hotline.retrieval.service import Retriever

log = structlog.get_logger(__name__)



@dataclass
class Services:
    settings: Settings
    redis: Redis
    http: httpx.AsyncClient
    rasa: RasaClient
    stream: InboundStream
    retriever: Retriever | None
    identities: IdentityStore
    handoff: HandoffQueue
    push: PushHub
    limiter: RateLimiter
    sms: SmsDownlink | None = None


def _knowledge() -> KnowledgeBase:
    try:
        return load(paths.KB)
    except (KnowledgeBaseError, OSError) as exc:
        # The bot still answers (from its trained responses); regional wording is lost.
        log.warning("kb.unreadable", error=str(exc))
        return KnowledgeBase(())


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


SWEEP_NOTICES = {
    "citizen_gone": "由于长时间未收到您的回复，本次人工服务已结束。如仍需帮助，请再次回复“人工”。",
    "agent_gone": "为您服务的客服暂时离开，已为您重新排队，请稍候。",
    "queue_abandoned": "排队时间较长，已为您结束排队。您可以继续向我提问，或稍后再回复“人工”。",
}


async def sweep_handoffs(human: HumanDesk, every_s: float, citizen_gone_s: float,
                         queue_abandon_s: float) -> None:
    """Timeouts of the handoff: agents gone, citizens gone, ratings never given."""
    while True:
        await asyncio.sleep(every_s)
        try:
            for conversation, what in await human.queue.sweep(citizen_gone_s, queue_abandon_s):
                log.info("handoff.swept", conversation=conversation, what=what)
                if what == "citizen_gone":
                    await human.closed(conversation, SWEEP_NOTICES[what])
                else:
                    await human.say(conversation, SWEEP_NOTICES[what], sender="system")
                if what == "queue_abandoned":
                    await human.queue.finish(conversation)
            await human.unanswered_ratings()
        except Exception:
            log.exception("handoff.sweep_failed")


def create_app(
    settings: Settings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The gateway; ``transport`` replaces the network for outgoing HTTP in tests."""
    settings = settings or get_settings()
    logs.configure(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # After a Redis restart every pooled connection is stale and fails once: retried on
        # a fresh connection instead of failing whatever request drew it (a one-time code
        # went unsent that way). Only connection errors: a timed-out write may have happened.
        redis = Redis.from_url(settings.redis_url.get_secret_value(), decode_responses=True,
                               socket_timeout=10, socket_connect_timeout=2,
                               health_check_interval=15,
                               retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
                               retry_on_error=[RedisConnectionError])
        http = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=1.0), transport=transport)
        secret = settings.signing_secret.get_secret_value().encode()
        kb = await asyncio.to_thread(_knowledge)
        answers = Answers(kb, settings.default_region)
        topics = {entry.id: entry.topic for entry in kb.entries}
        retriever = None
        background: list[asyncio.Task[None]] = []
        if settings.retrieval != "off":
            fused = settings.retrieval == "fused"
            retriever = await asyncio.to_thread(Retriever.build, kb, fused, cached_only=True)
            if fused and retriever.dense is None:
                # Not built by `hotline train`: answer with BM25 + Rasa meanwhile.
                log.warning("retrieval.dense_missing", hint="hotline train builds it")
                background.append(asyncio.create_task(asyncio.to_thread(retriever.complete_dense, kb)))
            log.info("retrieval.ready", dense=retriever.dense is not None, mode=settings.retrieval)
        rasa = RasaClient(http, settings.rasa_url, secret, settings.rasa_timeout_s, topics)
        identities = IdentityStore(redis, secret, settings.default_region)
        vault = pii.Vault(redis, pii.fernet_key(settings.vault_key.get_secret_value()))
        pseudonyms = settings.pseudonym_secret.get_secret_value().encode()
        sms_downlink = sms_replies.build(settings, http, redis)  # None when SMS is not configured

        async def lookup(id_number: str, name: str) -> PersonRecord | None:
            return await verify_person(http, settings.business_url,
                                       settings.business_api_token.get_secret_value(), id_number, name)

        async def send_code(phone: str, text: str, key: str) -> None:
            if sms_downlink is None:
                raise RuntimeError("no SMS downlink configured")
            await sms_downlink.send(phone, text, kind="otp", idempotency_key=key)

        desk = VerificationDesk(redis, vault, OneTimeCodes(redis, pseudonyms), identities, lookup,
                                send_code, pseudonyms, settings.default_region)

        async def start_verification(message: InboundMessage, reply: BotReply) -> BotReply:
            asked = [m for m in reply.messages if (m.get("custom") or {}).get("type") == "verify"]
            if not asked:
                return reply
            form = await desk.start(message, str(asked[0]["custom"].get("level") or "verified"))
            # The bot's own words (why it asks) stay; the request itself becomes the form.
            kept = [m if m not in asked else {"text": m["text"]} for m in reply.messages
                    if m not in asked or m.get("text")]
            return dataclasses.replace(reply, messages=kept + form.messages,
                                       meta={**reply.meta, "verification": True})

        async def show_masked(reply: BotReply) -> BotReply:
            messages = [{**m, "text": await vault.display(m["text"])} if pii.TOKEN.search(m.get("text") or "")
                        else m for m in reply.messages]
            return dataclasses.replace(reply, messages=messages)
        handoff = HandoffQueue(redis)
        push = PushHub(redis)
        wechat = await WeChatChannel.build(settings, redis, http)
        app.state.wechat = wechat
        analytics = app.state.analytics = await start_recorder(settings)  # off the reply path

        async def file_ticket(body: dict[str, Any], key: str) -> dict[str, Any]:
            response = await http.post(
                f"{settings.business_url.rstrip('/')}/api/v1/tickets", json=body, timeout=3.0,
                headers={"Authorization": f"Bearer {settings.business_api_token.get_secret_value()}",
                         "Idempotency-Key": key})
            response.raise_for_status()
            return dict(response.json())

        human = HumanDesk(redis, handoff, rasa, lambda m, r: deliver(m, r), push.publish, file_ticket,
                          events=analytics)

        async def queue_for_human(message: InboundMessage, reply: BotReply,
                                  identity: IdentityContext) -> BotReply:
            requests = [m["custom"] for m in reply.messages
                        if (m.get("custom") or {}).get("type") == "handoff"]
            if requests and not requests[0].get("within_hours"):
                await human.offer_callback(message.conversation)  # the bot offered it
            if not requests or not requests[0].get("within_hours"):
                return reply  # outside hours the bot has said so and offered other help
            return await human.join(message, reply, identity, requests[0])

        async def handle(message: InboundMessage) -> BotReply:
            started = time.perf_counter()
            own = await desk.intercept(message)  # the verification form runs at the edge
            if own is not None:
                metrics.turns.labels(message.channel, "verification").inc()
                return await show_masked(own)
            human_side = await human.intercept(message)  # queued, with an agent, or a rating
            if human_side is not None:
                metrics.turns.labels(message.channel, "human").inc()
                return human_side
            identity = await identities.get(message.conversation, message.channel)
            callback = await human.callback(message, identity)
            if callback is not None:
                return callback
            extra = {}
            if retriever is not None and message.text:
                extra["retrieval"] = await retriever.rank_async(message.text)
            try:
                reply = await rasa.send(message, identity, extra)
                reply = await human.stand_in(message, reply, identity)  # never a silent turn
                region = answers.region_for(identity.region, message.text)
                short = registry[message.channel].capabilities.short_answers
                reply = answers.localise(reply, region, short)
                if message.elder:
                    reply = answers.plain(reply, region)
                if reply.meta.get("handoff"):
                    reply = await queue_for_human(message, reply, identity)
                reply = await start_verification(message, reply)
                reply = await human.after_bot_turn(message, reply)
                reply = await show_masked(reply)
                reply = await notify.send_notices(reply, message, identity, vault, pseudonyms, sms_downlink)
            except errors.DialogueUnavailableError:
                metrics.turns.labels(message.channel, "unavailable").inc()
                raise
            metrics.turn_seconds.labels(message.channel).observe(time.perf_counter() - started)
            outcome = "handoff" if reply.meta.get("handoff") else (
                "fallback" if reply.meta.get("intent") in (None, "nlu_fallback") else "answered")
            metrics.turns.labels(message.channel, outcome).inc()
            analytics.turn(message, reply, time.perf_counter() - started, region)
            return reply

        async def deliver(message: InboundMessage, reply: BotReply) -> None:
            if message.channel == "webchat":
                await webchat_outbox.deliver(redis, message, reply)
                await push.publish(message.conversation, {"type": "reply", "reply": reply.to_json()})
            elif message.channel == "sms" and sms_downlink is not None:
                await sms_replies.deliver(sms_downlink, vault, pseudonyms, message, reply)
            elif message.channel == "wechat":
                await wechat.deliver(message, reply)  # unless the callback answered passively

        stream = InboundStream(redis, settings.consumer, handle, deliver,
                               lambda m: busy_reply(m.message_id),
                               retry_idle_s=settings.retry_idle_s,
                               max_deliveries=settings.max_deliveries, prepare=desk.protect)
        await wechat.resume_hearing(stream)
        app.state.services = Services(settings, redis, http, rasa, stream, retriever, identities,
                                      handoff, push, RateLimiter(redis, "webchat"), sms=sms_downlink)
        # Real accounts configured: the demo accounts are gone, whatever the secrets file holds.
        accounts_file = Path(settings.staff_accounts_file) if settings.staff_accounts_file else None
        demo = accounts_file is None
        app.state.staff = StaffDirectory(redis, load_accounts(
            accounts_file, _secret(settings.staff_agent_password) if demo else None,
            _secret(settings.staff_supervisor_password) if demo else None),
            secure_cookies=settings.staff_secure_cookies)
        app.state.agent_desk = AgentDesk(
            redis=redis, staff=app.state.staff, queue=handoff, human=human, identities=identities,
            vault=vault, rasa=rasa, answers=answers, retriever=retriever, http=http,
            business_url=settings.business_url.rstrip("/"),
            business_token=settings.business_api_token.get_secret_value(),
            pseudonym_secret=pseudonyms, limiter=RateLimiter(redis, "agent"))
        consumer = asyncio.create_task(stream.run())
        pusher = asyncio.create_task(push.run())
        background.append(asyncio.create_task(
            sweep_handoffs(human, settings.handoff_sweep_s, settings.handoff_citizen_gone_s,
                           settings.handoff_queue_abandon_s)))
        if sms_downlink is not None:
            sms_downlink.start()
        log.info("gateway.started", port=settings.port, consumer=settings.consumer)
        try:
            yield
        finally:
            await stream.stop()
            await analytics.close()  # writes the events still queued
            push.stop()
            for task in (consumer, pusher, *background):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if retriever is not None:
                retriever.close()
            if sms_downlink is not None:
                await sms_downlink.aclose()
            await http.aclose()
            await redis.aclose()

    app = FastAPI(
        title="12333 智能客服网关",
        version="0.1.0",
        description=(
            "人社12333智能客服的对外接口：网页聊天（供门户网站组件和移动应用使用）、健康检查与运行指标。"
            "WebSocket 协议、门户登录与限流说明见 docs/webchat-api.md。"
        ),
        lifespan=lifespan,
        # Swagger UI and ReDoc load their scripts from a CDN; a government service must not
        # send its operators' browsers there. The document itself is at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=sorted(settings.allowed_origins),
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    errors.install(app)
    from channels.analytics import dashboard
    from channels.routes import agent, ops, sms, voice, webchat, wechat

    app.include_router(ops.router)
    app.include_router(webchat.router)
    app.include_router(sms.router)
    app.include_router(wechat.router)
    app.include_router(agent.router)
    app.include_router(agent.api)
    app.include_router(voice.router)
    app.include_router(dashboard.router)
    app.state.adapters = {name: cls() for name, cls in registry.items()}
    return app
