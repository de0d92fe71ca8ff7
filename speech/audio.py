"""Audio as bytes: 16-bit mono PCM, G.711 μ-law/A-law, resampling, WAV. Pure functions.

``audioop`` is in the standard library of Python 3.10 (the version this project pins).
"""

from __future__ import annotations

import audioop
import io
import wave
from typing import Any

SAMPLE_WIDTH = 2
TELEPHONE_RATE = 8000
FRAME_MS = 20
FRAME_SAMPLES = TELEPHONE_RATE * FRAME_MS // 1000   # 160 samples, one RTP packet


def resample(pcm: bytes, rate_from: int, rate_to: int) -> bytes:
    if rate_from == rate_to or not pcm:
        return pcm
    converted, _ = audioop.ratecv(pcm, SAMPLE_WIDTH, 1, rate_from, rate_to, None)
    return converted


class Resampler:
    """Resampling of a stream chunk by chunk: the filter state carries over, so chunks join
    without clicks and add up to the right length."""

    def __init__(self, rate_from: int, rate_to: int) -> None:
        self.rate_from = rate_from
        self.rate_to = rate_to
        self._state: Any = None

    def __call__(self, pcm: bytes) -> bytes:
        if self.rate_from == self.rate_to:
            return pcm
        converted, self._state = audioop.ratecv(pcm, SAMPLE_WIDTH, 1, self.rate_from, self.rate_to,
                                                self._state)
        return converted


def encode(pcm: bytes, codec: str) -> bytes:
    """8 kHz PCM → G.711 payload (``PCMU`` or ``PCMA``)."""
    return audioop.lin2alaw(pcm, SAMPLE_WIDTH) if codec == "PCMA" else audioop.lin2ulaw(pcm, SAMPLE_WIDTH)


def decode(payload: bytes, codec: str) -> bytes:
    if codec == "PCMA":
        return audioop.alaw2lin(payload, SAMPLE_WIDTH)
    return audioop.ulaw2lin(payload, SAMPLE_WIDTH)


def silence(ms: int, rate: int = TELEPHONE_RATE) -> bytes:
    return b"\x00\x00" * (rate * ms // 1000)


def frames(pcm: bytes, samples: int = FRAME_SAMPLES) -> list[bytes]:
    """Split into whole frames, padding the last one with silence."""
    size = samples * SAMPLE_WIDTH
    if len(pcm) % size:
        pcm += b"\x00" * (size - len(pcm) % size)
    return [pcm[i:i + size] for i in range(0, len(pcm), size)]


def read_wav(data: bytes) -> tuple[bytes, int]:
    """(16-bit mono PCM, sample rate) of a PCM WAV file's bytes."""
    with wave.open(io.BytesIO(data)) as w:
        pcm = w.readframes(w.getnframes())
        if w.getsampwidth() != SAMPLE_WIDTH:
            pcm = audioop.lin2lin(pcm, w.getsampwidth(), SAMPLE_WIDTH)
        if w.getnchannels() == 2:
            pcm = audioop.tomono(pcm, SAMPLE_WIDTH, 0.5, 0.5)
        return pcm, w.getframerate()


def write_wav(pcm: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(SAMPLE_WIDTH)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()


def duration_s(pcm: bytes, rate: int) -> float:
    return len(pcm) / SAMPLE_WIDTH / rate
