"""Writing events off the reply path.

``Recorder.emit`` puts a row on a bounded asyncio queue and returns at once; a
background task takes what has gathered (after a short linger, so a busy gateway writes
a few hundred rows per statement, not one) and inserts it on a worker thread. A full
queue drops the event and counts it (``hotline_analytics_dropped_total``) rather than
slow a citizen's reply; so does a database that refuses the write. ``close`` writes
what is left. Switched off (``ANALYTICS_ENABLED=false``), ``emit`` does nothing.

The functions the rest of the gateway calls: :meth:`Recorder.turn`,
:meth:`Recorder.satisfaction`, :meth:`Recorder.record_handoff`, :meth:`Recorder.record_call`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Mapping, Sequence

import structlog
from prometheus_client import Counter
from pydantic import SecretStr
from sqlalchemy import Engine

from channels import metrics
from channels.analytics import events, store
from channels.inbound import BotReply, InboundMessage

log = structlog.get_logger(__name__)

dropped = Counter("hotline_analytics_dropped_total", "Analytics events not stored",
                  ["reason"], registry=metrics.registry)
written = Counter("hotline_analytics_written_total", "Analytics events stored",
                  registry=metrics.registry)

QUEUE_SIZE = 20_000
BATCH = 1_000
LINGER_S = 0.5
PURGE_EVERY_S = 86_400.0


class Recorder:
    def __init__(self, engine: Engine | None, enabled: bool = True,
                 retention_days: int = store.DEFAULT_RETENTION_DAYS,
                 queue_size: int = QUEUE_SIZE, linger_s: float = LINGER_S) -> None:
        self.engine = engine             # also read by the dashboard
        self.enabled = enabled and engine is not None
        self.retention_days = retention_days
        self.linger_s = linger_s
        self.dropped = 0
        self.written = 0
        self._queue: asyncio.Queue[events.Row] = asyncio.Queue(queue_size)
        self._tasks: list[asyncio.Task[None]] = []
        self._lingering: list[events.Row] = []   # taken off the queue, not yet handed to a write

    # -- what the gateway calls (never awaits the database) ------------------------

    def emit(self, row: events.Row) -> None:
        if not self.enabled:
            return
        try:
            self._queue.put_nowait(row)
        except asyncio.QueueFull:
            self._drop("queue_full", 1)

    def turn(self, message: InboundMessage, reply: BotReply, latency_s: float,
             region: str | None = None) -> None:
        self.emit(events.turn(message.channel, message.conversation,
                              "" if message.payload else message.text,
                              reply.meta, reply.messages, latency_s, region))

    def satisfaction(self, channel: str, conversation: str, score: int | None, comment: str = "") -> None:
        self.emit(events.satisfaction(channel, conversation, score, comment))

    def record_handoff(self, kind: str, channel: str, conversation: str, agent: str | None = None,
                       duration_s: float | None = None, reason: str | None = None,
                       topic: str | None = None) -> None:
        """``kind``: handoff_queued / handoff_taken (``duration_s`` = time queued) /
        handoff_closed (``duration_s`` = time with the agent) / handoff_cancelled."""
        self.emit(events.handoff(kind, channel, conversation, agent, duration_s, reason, topic))

    def record_call(self, kind: str, conversation: str, answered_by: str | None = None,
                    duration_s: float | None = None, region: str | None = None) -> None:
        """``kind``: call_offered / call_answered (``answered_by``: ``bot`` or an agent)."""
        self.emit(events.call(kind, conversation, answered_by, duration_s, region))

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        if self.engine is None:
            return
        if self.enabled:
            self._tasks.append(asyncio.create_task(self._drain()))
        self._tasks.append(asyncio.create_task(self._purge_daily()))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        rows, self._lingering = [*self._lingering, *self._take(self._queue.qsize())], []
        if rows:
            await self._write(rows)
        if self.engine is not None:
            self.engine.dispose()

    async def flush(self) -> None:
        """Write whatever is queued now (tests, and ``close``)."""
        while not self._queue.empty():
            await self._write(self._take(BATCH))

    # -- inside -----------------------------------------------------------------------

    def _take(self, limit: int) -> list[events.Row]:
        rows: list[events.Row] = []
        while len(rows) < limit:
            try:
                rows.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        return rows

    async def _drain(self) -> None:
        while True:
            self._lingering = [await self._queue.get()]
            await asyncio.sleep(self.linger_s)
            # Once handed to the worker thread a batch is written even if we are cancelled.
            rows, self._lingering = [*self._lingering, *self._take(BATCH - 1)], []
            await self._write(rows)

    async def _write(self, rows: list[events.Row]) -> None:
        assert self.engine is not None
        try:
            await asyncio.to_thread(_insert, self.engine, rows)
        except Exception as exc:  # the database is down or refuses: replies go on
            self._drop("database", len(rows))
            log.warning("analytics.write_failed", error=type(exc).__name__, events=len(rows))
            return
        self.written += len(rows)
        written.inc(len(rows))

    async def _purge_daily(self) -> None:
        assert self.engine is not None
        while True:
            try:
                gone = await asyncio.to_thread(store.purge, self.engine, self.retention_days)
                log.info("analytics.purged", events=gone, retention_days=self.retention_days)
            except Exception as exc:
                log.warning("analytics.purge_failed", error=type(exc).__name__)
            await asyncio.sleep(PURGE_EVERY_S)

    def _drop(self, reason: str, count: int) -> None:
        self.dropped += count
        dropped.labels(reason).inc(count)


def _insert(engine: Engine, rows: Sequence[Mapping[str, Any]]) -> None:
    with engine.begin() as conn:
        store.insert_events(conn, rows)


async def start_recorder(settings: Any) -> Recorder:
    """The gateway's recorder (``channels.settings.Settings``), its tasks running. A
    database that cannot be opened leaves analytics off; replies never depend on it."""
    try:
        url = settings.analytics_database_url  # a SecretStr: a PostgreSQL URL carries a password
        if isinstance(url, SecretStr):
            url = url.get_secret_value()
        engine = await asyncio.to_thread(store.connect, url)
    except Exception as exc:
        log.error("analytics.unavailable", error=type(exc).__name__)
        engine = None
    recorder = Recorder(engine, settings.analytics_enabled, settings.analytics_retention_days)
    recorder.start()
    return recorder
