"""The durable inbound path: accept → Redis Stream → consumer → dialogue → deliver.

A message is acknowledged to its channel only after it is in the stream, so a crash
cannot lose it. The consumer acknowledges a stream entry only after the reply is
stored and delivered; entries left pending by a crash or by an unavailable dialogue
engine are claimed again and retried until ``max_deliveries``, then dead-lettered with
an apology to the citizen. Dedupe by message id (here, and again inside Rasa's channel)
keeps it to one bot turn per citizen message.

Keys: ``inbound:stream:main`` (stream), ``inbound:dedupe:<channel>:<id>``,
``inbound:result:<channel>:<id>`` (the reply, kept a day), ``inbound:notify:<channel>:<id>``
(wakes the request that waits for its own reply), ``inbound:dead:main``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Awaitable, Callable

import structlog
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from channels.errors import DialogueUnavailableError
from channels.inbound import BotReply, InboundMessage
from channels.redisio import OUTAGE

log = structlog.get_logger(__name__)

STREAM = "inbound:stream:main"
DEAD = "inbound:dead:main"
GROUP = "gateway"
DEDUPE_TTL_S = 86400
RESULT_TTL_S = 86400
NOTIFY_TTL_S = 120
STREAM_MAXLEN = 100_000

GIVE_UP_TEXT = (
    "非常抱歉，系统暂时无法处理您的问题。请稍后重新提问，"
    "或拨打12333人工服务（工作日工作时间），我们会尽快为您解答。"
)

Handler = Callable[[InboundMessage], Awaitable[BotReply]]
Prepare = Callable[[InboundMessage], Awaitable[InboundMessage]]
Deliver = Callable[[InboundMessage, BotReply], Awaitable[None]]


def _key(area: str, message: InboundMessage) -> str:
    return f"inbound:{area}:{message.key}"


def _fields(message: InboundMessage) -> Any:
    return message.to_fields()


class InboundStream:
    def __init__(
        self,
        redis: Redis,
        consumer: str,
        handle: Handler,
        deliver: Deliver,
        on_deferred: Callable[[InboundMessage], BotReply],
        *,
        retry_idle_s: float = 5.0,
        max_deliveries: int = 30,
        concurrency: int = 32,
        prepare: Prepare | None = None,
    ) -> None:
        self.redis = redis
        self.consumer = consumer
        self._handle = handle
        self._deliver = deliver
        self._on_deferred = on_deferred
        self._prepare = prepare
        self._retry_idle_ms = int(retry_idle_s * 1000)
        self._max_deliveries = max_deliveries
        self._slots = asyncio.Semaphore(concurrency)
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    # -- producer side -------------------------------------------------------------

    async def accept(self, message: InboundMessage) -> bool:
        """Append the message unless it was seen before; True when it is new. ``prepare``
        (personal data tokenised) runs first: nothing raw is ever written to the stream."""
        fresh = await self.redis.set(_key("dedupe", message), "1", nx=True, ex=DEDUPE_TTL_S)
        if not fresh:
            return False
        if self._prepare is not None:
            message = await self._prepare(message)
        await self.redis.xadd(STREAM, _fields(message), maxlen=STREAM_MAXLEN, approximate=True)
        return True

    async def wait_reply(self, message: InboundMessage, timeout_s: float) -> BotReply | None:
        """The reply to ``message`` once ready (or a deferral notice), else None."""
        stored = await self.redis.get(_key("result", message))
        if stored:
            return BotReply.from_json(stored)
        popped = await self.redis.blpop([_key("notify", message)], timeout=timeout_s)
        if not popped:
            return None
        return BotReply.from_json(popped[1])

    # -- consumer side -------------------------------------------------------------

    async def ensure_group(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)

    async def run(self) -> None:
        """Consume until :meth:`stop`; resilient to Redis outages."""
        await self._until_ready(self.ensure_group)
        await self._until_ready(self._resume_own_pending)
        reclaimer = asyncio.create_task(self._reclaim_loop())
        try:
            while not self._stopping.is_set():
                try:
                    batches: Any = await self.redis.xreadgroup(
                        GROUP, self.consumer, {STREAM: ">"}, count=32, block=1000
                    )
                except ResponseError as exc:
                    if "NOGROUP" in str(exc):
                        await self.ensure_group()
                        continue
                    raise
                except OUTAGE as exc:
                    log.warning("inbound.read_failed", error=type(exc).__name__)
                    await asyncio.sleep(1)
                    continue
                for _, entries in batches or []:
                    for entry_id, fields in entries:
                        self._spawn(entry_id, fields, first=True)
        finally:
            reclaimer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reclaimer

    async def stop(self) -> None:
        self._stopping.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)

    async def _until_ready(self, step: Callable[[], Awaitable[None]]) -> None:
        while not self._stopping.is_set():
            try:
                await step()
                return
            except OUTAGE as exc:
                log.warning("inbound.redis_unavailable", error=type(exc).__name__)
                await asyncio.sleep(1)

    async def _resume_own_pending(self) -> None:
        # What this consumer had read but not finished before a restart.
        batches: Any = await self.redis.xreadgroup(GROUP, self.consumer, {STREAM: "0"}, count=1000)
        for _, entries in batches or []:
            for entry_id, fields in entries:
                if fields:
                    self._spawn(entry_id, fields, first=False)

    async def _reclaim_loop(self) -> None:
        while not self._stopping.is_set():
            await asyncio.sleep(max(self._retry_idle_ms / 2000, 0.5))
            try:
                await self._reclaim_once()
            except (*OUTAGE, ResponseError) as exc:
                log.warning("inbound.reclaim_failed", error=type(exc).__name__)

    async def _reclaim_once(self) -> None:
        claimed: Any = await self.redis.xautoclaim(
            STREAM, GROUP, self.consumer, min_idle_time=self._retry_idle_ms, count=64
        )
        for entry_id, fields in claimed[1]:
            if fields:
                self._spawn(entry_id, fields, first=False)
        for entry_id in claimed[2] if len(claimed) > 2 else []:
            await self.redis.xack(STREAM, GROUP, entry_id)  # trimmed away: nothing to do

    def _spawn(self, entry_id: str, fields: dict[str, str], first: bool) -> None:
        task = asyncio.create_task(self._process(entry_id, fields, first))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, entry_id: str, fields: dict[str, str], first: bool) -> None:
        message = InboundMessage.from_fields(fields)
        # One turn at a time per conversation, many conversations at once.
        lock = self._locks.setdefault(message.conversation, asyncio.Lock())
        async with self._slots, lock:
            try:
                await self._process_locked(entry_id, message, first)
            except Exception as exc:  # a bug must not stop the consumer
                log.exception("inbound.process_failed", error=type(exc).__name__,
                              channel=message.channel)
        if not lock.locked():
            self._locks.pop(message.conversation, None)

    async def _process_locked(self, entry_id: str, message: InboundMessage, first: bool) -> None:
        if await self.redis.exists(_key("result", message)):
            await self.redis.xack(STREAM, GROUP, entry_id)  # answered before a crash
            return
        try:
            reply = await self._handle(message)
        except DialogueUnavailableError as exc:
            await self._defer(entry_id, message, first, str(exc))
            return
        await self._finish(entry_id, message, reply)

    async def _defer(self, entry_id: str, message: InboundMessage, first: bool, why: str) -> None:
        if first:
            await self._notify(message, self._on_deferred(message))
        deliveries = await self._deliveries(entry_id)
        log.warning("inbound.deferred", channel=message.channel, reason=why,
                    deliveries=deliveries)
        if deliveries >= self._max_deliveries:
            await self.redis.xadd(DEAD, _fields(message), maxlen=STREAM_MAXLEN, approximate=True)
            reply = BotReply(message.message_id, [{"text": GIVE_UP_TEXT}],
                             {"intent": None, "confidence": None, "topic": None,
                              "faq_id": None, "handoff": False}, status="failed")
            await self._finish(entry_id, message, reply)

    async def _deliveries(self, entry_id: str) -> int:
        pending = await self.redis.xpending_range(STREAM, GROUP, min=entry_id, max=entry_id, count=1)
        return int(pending[0]["times_delivered"]) if pending else 0

    async def _finish(self, entry_id: str, message: InboundMessage, reply: BotReply) -> None:
        stored = await self.redis.set(_key("result", message), reply.to_json(), nx=True,
                                      ex=RESULT_TTL_S)
        if stored:
            await self._deliver(message, reply)
            await self._notify(message, reply)
        await self.redis.xack(STREAM, GROUP, entry_id)

    async def _notify(self, message: InboundMessage, reply: BotReply) -> None:
        key = _key("notify", message)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, reply.to_json())
            pipe.expire(key, NOTIFY_TTL_S)
            await pipe.execute()
