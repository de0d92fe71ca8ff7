"""Speech → text. An engine is one method; :func:`recognise` adds the domain clean-up.

``whisper`` (default): faster-whisper with Whisper base from ``build/speech/whisper-base``
(assembled at set-up time by :mod:`speech.models`), int8 on the CPU, language zh, the hub
switched off so that nothing is fetched. One utterance at a time per process: two cores
are better spent finishing one utterance than interleaving two.

``paddle``: a PaddleSpeech Conformer from ``VOICE_PADDLE_ASR_DIR``, in its own environment
and worker process (:mod:`speech.paddle`); unavailable without a configured model.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable, ClassVar, Protocol

import numpy as np

from speech import audio, models, text
from speech.errors import EngineUnavailableError

WHISPER_RATE = 16000


class Recognizer(Protocol):
    name: ClassVar[str]

    def transcribe(self, pcm: bytes, rate: int) -> str:
        """Raw text of 16-bit mono PCM at ``rate`` (blocking)."""
        ...


class WhisperRecognizer:
    name: ClassVar[str] = "whisper"

    def __init__(self, model_dir: Path | None = None, threads: int = 2, beam_size: int = 5) -> None:
        directory = model_dir or models.WHISPER_DIR
        if not models.ready(directory):
            raise EngineUnavailableError(f"no Whisper model in {directory} (python -m speech.models)")
        os.environ["HF_HUB_OFFLINE"] = "1"  # a local directory needs no hub; make sure of it
        logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # plain-text progress lines
        from faster_whisper import WhisperModel

        self._model = WhisperModel(str(directory), device="cpu", compute_type="int8", cpu_threads=threads)
        self._lock = threading.Lock()
        # Beam 5 over greedy: 社保卡丢了 instead of 社保卡飘的 over G.711, for ~1.5x the time.
        self._beam = beam_size

    def transcribe(self, pcm: bytes, rate: int) -> str:
        samples = np.frombuffer(audio.resample(pcm, rate, WHISPER_RATE), dtype=np.int16)
        floats = samples.astype(np.float32) / 32768.0
        with self._lock:
            # No initial_prompt: it helped clean audio but hurt 8 kHz (SPEECH.md).
            segments, _ = self._model.transcribe(floats, language="zh", beam_size=self._beam,
                                                 condition_on_previous_text=False, vad_filter=False)
            return "".join(s.text for s in segments).strip()


def _paddle(**options: Any) -> Recognizer:
    from speech.paddle import PaddleRecognizer  # its worker protocol builds on speech.synthesizer

    return PaddleRecognizer(**options)


registry: dict[str, Callable[..., Recognizer]] = {"whisper": WhisperRecognizer, "paddle": _paddle}


def build(name: str, **options: Any) -> Recognizer:
    try:
        factory = registry[name]
    except KeyError:
        raise EngineUnavailableError(f"unknown recognizer {name!r}") from None
    return factory(**options)


async def recognise(recognizer: Recognizer, pcm: bytes, rate: int) -> str:
    """Recognised, simplified, corrected text of one utterance (off the event loop)."""
    raw = await asyncio.to_thread(recognizer.transcribe, pcm, rate)
    return text.after_recognition(raw)
