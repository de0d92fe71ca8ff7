"""The gateway application: factory, lifespan-managed clients, the inbound consumer."""

from __future__ import annotations

import asyncio
import contextlib
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

import httpx
import structlog
from fastapi import FastAPI
from redis.asyncio import Redis

from channels import errors, logs, metrics, webchat_outbox
from channels.adapters import registry
from channels.dialogue import RasaClient, busy_reply
from channels.inbound import BotReply, InboundMessage
from channels.settings import Settings, get_settings
from channels.stream import InboundStream
from hotline import paths
from hotline.identity import anonymous

log = structlog.get_logger(__name__)

KB_DIR = paths.KB


@dataclass
class Services:
    settings: Settings
    redis: Redis
    http: httpx.AsyncClient
    rasa: RasaClient
    stream: InboundStream


def _topics() -> dict[str, str]:
    from hotline.kb import KnowledgeBaseError, load

    try:
        return {entry.id: entry.topic for entry in load(KB_DIR).entries}
    except (KnowledgeBaseError, OSError) as exc:
        log.warning("kb.unreadable", error=str(exc))
        return {}


def create_app(
    settings: Settings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The gateway; ``transport`` replaces the network for outgoing HTTP in tests."""
    settings = settings or get_settings()
    logs.configure(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = Redis.from_url(settings.redis_url.get_secret_value(), decode_responses=True,
                               socket_timeout=10, socket_connect_timeout=2,
                               health_check_interval=15)
        http = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=1.0), transport=transport)
        secret = settings.signing_secret.get_secret_value().encode()
        topics = await asyncio.to_thread(_topics)
        rasa = RasaClient(http, settings.rasa_url, secret, settings.rasa_timeout_s, topics)

        async def handle(message: InboundMessage) -> BotReply:
            started = time.perf_counter()
            identity = anonymous(message.channel, settings.default_region)
            try:
                reply = await rasa.send(message, identity)
            except errors.DialogueUnavailableError:
                metrics.turns.labels(message.channel, "unavailable").inc()
                raise
            metrics.turn_seconds.labels(message.channel).observe(time.perf_counter() - started)
            outcome = "handoff" if reply.meta.get("handoff") else (
                "fallback" if reply.meta.get("intent") in (None, "nlu_fallback") else "answered")
            metrics.turns.labels(message.channel, outcome).inc()
            return reply

        async def deliver(message: InboundMessage, reply: BotReply) -> None:
            if message.channel == "webchat":
                await webchat_outbox.deliver(redis, message, reply)

        stream = InboundStream(redis, settings.consumer, handle, deliver,
                               lambda m: busy_reply(m.message_id),
                               retry_idle_s=settings.retry_idle_s,
                               max_deliveries=settings.max_deliveries)
        app.state.services = Services(settings, redis, http, rasa, stream)
        consumer = asyncio.create_task(stream.run())
        log.info("gateway.started", port=settings.port, consumer=settings.consumer)
        try:
            yield
        finally:
            await stream.stop()
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
            await http.aclose()
            await redis.aclose()

    app = FastAPI(
        title="12333 智能客服网关",
        version="0.1.0",
        description="人社12333智能客服的对外接口：网页聊天、健康检查与运行指标。",
        lifespan=lifespan,
    )
    errors.install(app)
    from channels.routes import ops, webchat

    app.include_router(ops.router)
    app.include_router(webchat.router)
    app.state.adapters = {name: cls() for name, cls in registry.items()}
    return app
