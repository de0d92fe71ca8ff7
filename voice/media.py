"""One call's media: an RTP socket, the jitter buffer, keypad events, paced playback.

Received audio goes through the endpointer (:mod:`speech.vad`); what the caller does
arrives as events on ``self.events``: :class:`speech.vad.Started` (barge-in),
:class:`speech.vad.Ended` (an utterance to recognise) and :class:`Key` (a keypad digit,
from RFC 4733 events here or SIP INFO in :mod:`voice.server`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass
from typing import Protocol, cast

import structlog

from speech import audio
from speech.vad import Ended, Endpointer, Started
from voice import rtp

log = structlog.get_logger(__name__)
Event = Started | Ended


@dataclass(frozen=True)
class Key:
    key: str


class Media(Protocol):
    """What the call flow needs of a call's audio, whatever carries it (RTP, a WebSocket)."""

    events: asyncio.Queue[Started | Ended | Key]

    async def play(self, pcm: bytes) -> None:
        """Send 8 kHz PCM in real time; cancelled to stop (barge-in)."""
        ...

    def be_patient(self, end_silence_ms: int) -> None:
        """End an utterance only after ``end_silence_ms`` of silence (slow mode)."""
        ...


class RtpSession(asyncio.DatagramProtocol):
    def __init__(self, payload_type: int, codec: str, dtmf_payload: int | None) -> None:
        self.payload_type = payload_type
        self.codec = codec
        self.dtmf_payload = dtmf_payload
        self.events: asyncio.Queue[Started | Ended | Key] = asyncio.Queue()
        self.remote: tuple[str, int] | None = None
        self.transport: asyncio.DatagramTransport | None = None
        self.received = 0
        self.sent = 0
        self._jitter = rtp.JitterBuffer()
        self._endpointer = Endpointer()
        self._seen_events: set[int] = set()
        self._ssrc = random.getrandbits(32)
        self._sequence = random.getrandbits(16)
        self._timestamp = random.getrandbits(32)
        self._last_audio = time.monotonic()
        self._watch: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, host: str, payload_type: int, codec: str, dtmf_payload: int | None) -> RtpSession:
        loop = asyncio.get_running_loop()
        _, session = await loop.create_datagram_endpoint(
            lambda: cls(payload_type, codec, dtmf_payload), local_addr=(host, 0))
        session._watch = asyncio.create_task(session._silence_watch())
        return session

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            packet = rtp.parse(data)
        except rtp.RtpError:
            return
        self.received += 1
        if self.dtmf_payload is not None and packet.payload_type == self.dtmf_payload:
            self._dtmf(packet)
            return
        if packet.payload_type != self.payload_type:
            return  # comfort noise or a codec we did not agree on
        for ordered in self._jitter.push(packet):
            self._listen(audio.decode(ordered.payload, self.codec))
        self._last_audio = time.monotonic()

    def _listen(self, pcm: bytes) -> None:
        for frame in audio.frames(pcm):
            event = self._endpointer.feed(frame)
            if event is not None:
                self.events.put_nowait(event)

    async def _silence_watch(self) -> None:
        """Missing media counts as silence: a peer that stops sending RTP (silence
        suppression, a test tool at the end of its file) still ends the utterance."""
        while True:
            await asyncio.sleep(0.1)
            gap = time.monotonic() - self._last_audio
            if self._endpointer.speaking and gap >= 0.1:
                self._listen(audio.silence(int(gap * 1000) // audio.FRAME_MS * audio.FRAME_MS))
                self._last_audio += int(gap * 1000) // audio.FRAME_MS * audio.FRAME_MS / 1000

    def _dtmf(self, packet: rtp.Packet) -> None:
        # An event is repeated (and its end three times) under one timestamp: report it once.
        if packet.timestamp in self._seen_events:
            return
        try:
            event = rtp.parse_dtmf(packet.payload)
        except rtp.RtpError:
            return
        self._seen_events.add(packet.timestamp)
        self.events.put_nowait(Key(event.key))

    async def play(self, pcm: bytes) -> None:
        """Send 8 kHz PCM paced at 20 ms a packet; cancel the task to stop (barge-in)."""
        if self.transport is None or self.remote is None:
            return
        start = time.monotonic()
        for index, frame in enumerate(audio.frames(pcm)):
            payload = audio.encode(frame, self.codec)
            packet = rtp.Packet(self.payload_type, self._sequence, self._timestamp, self._ssrc, payload,
                                marker=index == 0)
            self.transport.sendto(packet.to_bytes(), self.remote)
            self.sent += 1
            self._sequence = (self._sequence + 1) & 0xFFFF
            self._timestamp = (self._timestamp + audio.FRAME_SAMPLES) & 0xFFFFFFFF
            # Pace by the clock, not by sleeping 20 ms each time, so delays do not add up.
            delay = start + (index + 1) * audio.FRAME_MS / 1000 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    def be_patient(self, end_silence_ms: int) -> None:
        self._endpointer.set_end_silence(end_silence_ms)

    def reset_listening(self) -> None:
        self._endpointer.reset()

    def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
        if self.transport is not None:
            with contextlib.suppress(Exception):
                self.transport.close()
