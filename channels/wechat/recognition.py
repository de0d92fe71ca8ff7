"""Voice messages WeChat did not transcribe, heard by our own recognizer.

WeChat fills ``Recognition`` only when the account has 语音识别 switched on. Otherwise the
voice file is fetched (获取临时素材), decoded from AMR or SILK (:mod:`speech.codecs`) and
recognised by Whisper with the domain clean-up (:func:`speech.recognizer.recognise`).

The model is loaded on the first voice message, once per process, in a thread: a gateway
that gets no voice loads none. Recognitions run one at a time, as in the voice service
(two cores finish one utterance sooner than they interleave two), and the waiting ones
wait here rather than holding threads of the default pool. A recognizer that cannot be
built (no model: ``python -m speech.models``) is not tried again until a restart. Audio
without speech is not given to Whisper at all: on silence it makes up sentences.

What was said is never logged: the outcome, the duration and the number of characters.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Callable

import httpx
import structlog
import webrtcvad

from channels.wechat.api import WeChatApi
from channels.wechat.errors import WeChatApiError
from speech import audio, codecs, recognizer
from speech.errors import AudioTooLongError, EngineUnavailableError, UndecodableAudioError
from speech.recognizer import Recognizer

log = structlog.get_logger(__name__)

SPEECH_FRAMES = 4  # 80 ms voiced in a row, as the phone line's endpointer starts an utterance
# Voice messages being fetched, decoded or waiting for the recognizer (about 1 s each): past
# this a flood of them is answered at once instead of queueing up decoded audio in memory.
MAX_IN_FLIGHT = 16


@dataclass(frozen=True)
class Heard:
    text: str         # "" when there is nothing to answer
    outcome: str      # recognised empty off busy unavailable no_media undecodable too_long failed
    seconds: float = 0.0


class VoiceRecognition:
    def __init__(self, api: WeChatApi, enabled: bool,
                 build: Callable[[], Recognizer] = lambda: recognizer.build("whisper")) -> None:
        self._api = api
        self._enabled = enabled
        self._build = build
        self._engine: Recognizer | None = None
        self._loading = asyncio.Lock()
        self._one_at_a_time = asyncio.Lock()
        self._in_flight = 0

    @property
    def enabled(self) -> bool:
        return self._enabled

    async def hear(self, media_id: str, claimed_format: str = "") -> Heard:
        if not self._enabled:
            return Heard("", "off")
        if self._in_flight >= MAX_IN_FLIGHT:
            return Heard("", "busy")
        self._in_flight += 1
        try:
            return await self._hear(media_id, claimed_format)
        finally:
            self._in_flight -= 1

    async def _hear(self, media_id: str, claimed_format: str) -> Heard:
        try:
            media = await self._api.download_media(media_id)
        except (WeChatApiError, httpx.HTTPError) as exc:
            log.warning("wechat.voice_download_failed", errcode=getattr(exc, "errcode", None),
                        error=type(exc).__name__)
            return Heard("", "no_media")
        try:
            pcm, rate = await asyncio.to_thread(codecs.decode, media.content, claimed_format)
        except AudioTooLongError:
            return Heard("", "too_long")
        except UndecodableAudioError as exc:
            log.info("wechat.voice_undecodable", reason=str(exc), content_type=media.content_type[:40])
            return Heard("", "undecodable")
        except EngineUnavailableError as exc:  # ffmpeg missing
            log.warning("wechat.voice_decoder_unavailable", error=str(exc))
            return Heard("", "unavailable")
        seconds = audio.duration_s(pcm, rate)
        if not await asyncio.to_thread(has_speech, pcm, rate):
            return Heard("", "empty", seconds)
        engine = await self._recognizer()
        if engine is None:
            return Heard("", "unavailable", seconds)
        try:
            async with self._one_at_a_time:
                text = await recognizer.recognise(engine, pcm, rate)
        except Exception as exc:  # the engine's own failure must not lose the citizen's turn
            log.exception("wechat.voice_recognition_failed", error=type(exc).__name__)
            return Heard("", "failed", seconds)
        return Heard(text, "recognised" if text else "empty", seconds)

    async def _recognizer(self) -> Recognizer | None:
        async with self._loading:
            if self._engine is None and self._enabled:
                try:
                    self._engine = await asyncio.to_thread(self._build)
                except EngineUnavailableError as exc:
                    self._enabled = False
                    log.warning("wechat.voice_recognizer_unavailable", error=str(exc),
                                hint="python -m speech.models, then restart; or WECHAT_VOICE_ASR=0")
                    return None
                log.info("wechat.voice_recognizer_loaded")
            return self._engine


def has_speech(pcm: bytes, rate: int, aggressiveness: int = 2) -> bool:
    """Whether webrtcvad finds :data:`SPEECH_FRAMES` voiced 20 ms frames in a row."""
    vad = webrtcvad.Vad(aggressiveness)
    run = 0
    for frame in audio.frames(pcm, rate * audio.FRAME_MS // 1000):
        run = run + 1 if vad.is_speech(frame, rate) else 0
        if run >= SPEECH_FRAMES:
            return True
    return False
