"""``/voice/stream``: the same call flow for PBXs that stream media over a WebSocket.

Protocol (docs/voice.md): the PBX opens ``ws://VOICE_SIP_HOST:VOICE_STREAM_PORT/voice/stream``
with ``Authorization: Bearer <VOICE_STREAM_TOKEN>`` and sends a JSON text message
``{"type": "start", "call_id": "…", "rate": 8000}`` (8000 or 16000), then binary frames of
16-bit little-endian mono PCM at that rate, and JSON control messages ``{"type": "dtmf",
"digit": "0"}`` and ``{"type": "hangup"}``. The bot sends its speech as binary PCM at the
same rate, in 20 ms frames paced in real time, and ``{"type": "transfer", "target": …,
"context": …}`` or ``{"type": "hangup"}`` when it ends its part of the call.

No token configured: the endpoint is off (it would otherwise let anyone start dialogue
turns).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import time
from typing import Any, Awaitable, Callable

import structlog
import websockets
from websockets.exceptions import ConnectionClosed
from websockets.server import WebSocketServerProtocol

from speech import audio
from speech.vad import Ended, Endpointer, Started
from voice.call import CallFlow
from voice.media import Key

log = structlog.get_logger(__name__)
PATH = "/voice/stream"
RATES = (8000, 16000)
START_TIMEOUT_S = 10.0

# (call id, media, transfer, hangup) → the flow for that call
FlowFactory = Callable[[str, "StreamMedia", Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]],
                       CallFlow]


class StreamMedia:
    def __init__(self, ws: WebSocketServerProtocol, rate: int) -> None:
        self.ws = ws
        self.rate = rate
        self.events: asyncio.Queue[Started | Ended | Key] = asyncio.Queue()
        self._endpointer = Endpointer()
        self._rest = b""
        self._inbound = audio.Resampler(rate, audio.TELEPHONE_RATE)
        self._outbound = audio.Resampler(audio.TELEPHONE_RATE, rate)

    def feed(self, pcm: bytes) -> None:
        data = self._rest + self._inbound(pcm)
        size = audio.FRAME_SAMPLES * audio.SAMPLE_WIDTH
        whole = len(data) - len(data) % size
        self._rest = data[whole:]
        for start in range(0, whole, size):
            event = self._endpointer.feed(data[start:start + size])
            if event is not None:
                self.events.put_nowait(event)

    def be_patient(self, end_silence_ms: int) -> None:
        self._endpointer.set_end_silence(end_silence_ms)

    async def play(self, pcm: bytes) -> None:
        started = time.monotonic()
        for index, frame in enumerate(audio.frames(pcm)):
            await self.ws.send(self._outbound(frame))
            delay = started + (index + 1) * audio.FRAME_MS / 1000 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)


class StreamServer:
    def __init__(self, token: str, flow: FlowFactory, transfer_target: str,
                 context: Callable[[str], str]) -> None:
        self._token = token
        self._flow = flow
        self._target = transfer_target
        self._context = context   # call id → the conversation pseudonym the agents look up

    async def serve(self, host: str, port: int) -> Any:
        return await websockets.serve(self.handle, host, port, max_size=64 * 1024)  # type: ignore[attr-defined]

    def _authorised(self, ws: WebSocketServerProtocol) -> bool:
        given = ws.request_headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self._token}".encode())

    async def handle(self, ws: WebSocketServerProtocol, path: str = "") -> None:
        if (path or ws.path).split("?")[0] != PATH:
            await ws.close(code=1008, reason="unknown path")
            return
        if not self._authorised(ws):
            await ws.close(code=1008, reason="unauthorized")
            return
        try:
            start = json.loads(await asyncio.wait_for(ws.recv(), START_TIMEOUT_S))
            call_id = str(start["call_id"])[:256]
            rate = int(start.get("rate") or audio.TELEPHONE_RATE)
            if start.get("type") != "start" or not call_id or rate not in RATES:
                raise ValueError("bad start")
        except (asyncio.TimeoutError, ValueError, KeyError, TypeError, ConnectionClosed):
            await ws.close(code=1008, reason="expected a start message")
            return
        await self._call(ws, call_id, StreamMedia(ws, rate))

    async def _call(self, ws: WebSocketServerProtocol, call_id: str, media: StreamMedia) -> None:
        async def transfer() -> None:
            await ws.send(json.dumps({"type": "transfer", "target": self._target,
                                      "context": self._context(call_id)}))

        async def hangup() -> None:
            await ws.send(json.dumps({"type": "hangup"}))

        flow = self._flow(call_id, media, transfer, hangup)
        running = asyncio.create_task(flow.run())
        reading = asyncio.create_task(self._read(ws, media))
        await asyncio.wait({running, reading}, return_when=asyncio.FIRST_COMPLETED)
        for task in (running, reading):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await task
        await ws.close()
        record = flow.record
        log.info("voice.stream_ended", outcome=record.outcome, turns=record.turns, intents=record.intents,
                 reprompts=record.reprompts, barge_ins=record.barge_ins, reply_ms=record.reply_ms)

    @staticmethod
    async def _read(ws: WebSocketServerProtocol, media: StreamMedia) -> None:
        async for message in ws:
            if isinstance(message, bytes):
                media.feed(message)
                continue
            try:
                control = json.loads(message)
            except ValueError:
                continue
            digit = str(control.get("digit") or "")[:1]
            if control.get("type") == "dtmf" and digit and digit in "0123456789*#":
                media.events.put_nowait(Key(digit))
            elif control.get("type") == "hangup":
                return
