"""RTP packets (RFC 3550), keypad events (RFC 4733) and a small jitter buffer. Pure code."""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct("!BBHII")
DTMF_KEYS = "0123456789*#ABCD"


class RtpError(ValueError):
    pass


@dataclass(frozen=True)
class Packet:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False

    def to_bytes(self) -> bytes:
        return HEADER.pack(0x80, (0x80 if self.marker else 0) | self.payload_type,
                           self.sequence & 0xFFFF, self.timestamp & 0xFFFFFFFF, self.ssrc) + self.payload


def parse(data: bytes) -> Packet:
    if len(data) < HEADER.size:
        raise RtpError("short packet")
    first, second, sequence, timestamp, ssrc = HEADER.unpack_from(data)
    if first >> 6 != 2:
        raise RtpError("not RTP version 2")
    offset = HEADER.size + 4 * (first & 0x0F)
    if first & 0x10:  # header extension
        if len(data) < offset + 4:
            raise RtpError("short extension")
        (words,) = struct.unpack_from("!H", data, offset + 2)
        offset += 4 + 4 * words
    end = len(data)
    if first & 0x20 and end > offset:  # padding: the last byte says how much
        end -= data[-1]
    if offset > end:
        raise RtpError("bad header length")
    return Packet(second & 0x7F, sequence, timestamp, ssrc, data[offset:end], bool(second & 0x80))


@dataclass(frozen=True)
class DtmfEvent:
    key: str
    end: bool
    duration: int


def parse_dtmf(payload: bytes) -> DtmfEvent:
    if len(payload) < 4:
        raise RtpError("short telephone-event")
    event, flags, duration = struct.unpack("!BBH", payload[:4])
    if event >= len(DTMF_KEYS):
        raise RtpError(f"unsupported event {event}")
    return DtmfEvent(DTMF_KEYS[event], bool(flags & 0x80), duration)


def dtmf_payload(key: str, end: bool, duration: int, volume: int = 10) -> bytes:
    return struct.pack("!BBH", DTMF_KEYS.index(key), (0x80 if end else 0) | volume, duration)


class JitterBuffer:
    """Reorders packets by sequence number and releases them after a short delay.

    ``depth`` packets (20 ms each) are held so that a late packet can slip into place; a
    missing packet is skipped once the buffer is full, and duplicates are dropped.
    """

    def __init__(self, depth: int = 3) -> None:
        self._depth = depth
        self._held: dict[int, Packet] = {}
        self._next: int | None = None

    def push(self, packet: Packet) -> list[Packet]:
        if self._next is not None and _behind(packet.sequence, self._next):
            return []  # too late or a duplicate of one already played
        self._held.setdefault(packet.sequence, packet)
        if self._next is None:
            self._next = packet.sequence
        out: list[Packet] = []
        while self._held:
            if self._next in self._held:
                out.append(self._held.pop(self._next))
                self._next = (self._next + 1) & 0xFFFF
            elif len(self._held) > self._depth:
                self._next = min(self._held, key=lambda s: (s - self._next) & 0xFFFF)  # type: ignore[operator]
            else:
                break
        return out


def _behind(sequence: int, expected: int) -> bool:
    return 0 < (expected - sequence) & 0xFFFF < 0x8000
