"""Endpointing: where a caller's utterance starts (barge-in) and ends (recognise it).

webrtcvad (its model ships in the wheel) marks each 20 ms frame voiced or not; a few
voiced frames in a row start an utterance, a stretch of silence ends it. A little audio
before the start is kept so that the first syllable is not clipped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import webrtcvad

from speech import audio


@dataclass(frozen=True)
class Started:
    pass


@dataclass(frozen=True)
class Ended:
    pcm: bytes   # 8 kHz 16-bit PCM of the whole utterance


class Endpointer:
    def __init__(self, aggressiveness: int = 2, start_frames: int = 4, end_silence_ms: int = 700,
                 max_utterance_s: float = 15.0, preroll_frames: int = 10) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._start = start_frames
        self._end = end_silence_ms // audio.FRAME_MS
        self._max = int(max_utterance_s * 1000) // audio.FRAME_MS
        self._recent: deque[tuple[bytes, bool]] = deque(maxlen=max(preroll_frames, start_frames))
        self._utterance: list[bytes] = []
        self._silent = 0
        self.speaking = False

    def feed(self, frame: bytes) -> Started | Ended | None:
        """One 20 ms frame of 8 kHz PCM; an event when an utterance starts or ends."""
        voiced = self._vad.is_speech(frame, audio.TELEPHONE_RATE)
        if not self.speaking:
            self._recent.append((frame, voiced))
            tail = list(self._recent)[-self._start:]
            if len(tail) == self._start and all(v for _, v in tail):
                self.speaking = True
                self._utterance = [f for f, _ in self._recent]
                self._recent.clear()
                self._silent = 0
                return Started()
            return None
        self._utterance.append(frame)
        self._silent = 0 if voiced else self._silent + 1
        if self._silent >= self._end or len(self._utterance) >= self._max:
            pcm = b"".join(self._utterance[:len(self._utterance) - self._silent] or self._utterance)
            self.reset()
            return Ended(pcm)
        return None

    def set_end_silence(self, end_silence_ms: int) -> None:
        """How much trailing silence ends an utterance from now on (slow speakers pause longer)."""
        self._end = max(1, end_silence_ms // audio.FRAME_MS)

    def reset(self) -> None:
        self.speaking = False
        self._utterance = []
        self._recent.clear()
        self._silent = 0
