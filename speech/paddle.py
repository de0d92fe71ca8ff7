"""PaddleSpeech engines: recognition and synthesis from model directories the operator set.

PaddleSpeech (paddlepaddle 3.0) cannot share an environment with the app (its numpy,
protobuf and aiohttp pins differ), so it lives in ``.venv/paddle`` (``requirements/paddle.lock``,
made by ``scripts/setup.sh paddle``) and runs as a worker process, :mod:`speech.paddle_worker`,
which refuses every network attempt and reports any it saw. No weights ship on PyPI: set
``VOICE_PADDLE_ASR_DIR`` to an unpacked Conformer release (``model.yaml``,
``exp/*/checkpoints/*.pdparams``, ``data/…``) and ``VOICE_PADDLE_TTS_DIR`` to a folder
holding a FastSpeech2 (``phone_id_map.txt``, ``speech_stats.npy``, ``*.pdz``, ``*.yaml``) and
a HiFiGAN (``feats_stats.npy``, ``*.pdz``, ``*.yaml``) release side by side. Without them the
engines are unavailable; they never fall back to fetching a model by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Any, ClassVar

from hotline import paths
from speech import audio
from speech.errors import EngineUnavailableError, SynthesisError
from speech.synthesizer import read_frame, write_frame
from speech.text import for_speech

PYTHON = paths.VENV / "paddle" / "bin" / "python"
# The worker's working folder and PaddleSpeech's home: it writes logs under ./exp/log and
# a settings cache under its home; neither belongs in the checkout or the user's home.
STATE = paths.BUILD / "speech" / "paddle"
RATE = 16000     # the Conformer releases are 16 kHz models
START_S = 180.0  # importing PaddleSpeech takes ~25 s on 2 busy cores


def configured(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


class PaddleWorker:
    """One worker process; requests are serialised (one utterance at a time)."""

    def __init__(self, asr_dir: Path | None = None, tts_dir: Path | None = None,
                 python: Path = PYTHON) -> None:
        if not python.exists():
            raise EngineUnavailableError(f"no PaddleSpeech environment at {python} (scripts/setup.sh paddle)")
        if asr_dir is None and tts_dir is None:
            raise EngineUnavailableError("no PaddleSpeech model directory configured "
                                         "(VOICE_PADDLE_ASR_DIR / VOICE_PADDLE_TTS_DIR)")
        for directory in (asr_dir, tts_dir):
            if directory is not None and not directory.is_dir():
                raise EngineUnavailableError(f"PaddleSpeech model directory {directory} does not exist")
        command = [str(python), "-m", "speech.paddle_worker"]
        command += ["--asr", str(asr_dir)] if asr_dir else []
        command += ["--tts", str(tts_dir)] if tts_dir else []
        self._lock = threading.Lock()
        (STATE / "home").mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(command, cwd=STATE, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                         env={**os.environ, "PYTHONPATH": str(paths.ROOT),
                                              "PPSPEECH_HOME": str(STATE / "home")})
        try:
            self.hello = self._json()
        except SynthesisError as exc:
            self.close()
            raise EngineUnavailableError("the PaddleSpeech worker did not start") from exc
        if "error" in self.hello:
            self.close()
            raise EngineUnavailableError(f"PaddleSpeech could not load its models: {self.hello['error']}")
        self.rate = int(self.hello.get("rate") or 0)

    def request(self, message: dict[str, Any], payload: bytes | None = None) -> tuple[dict[str, Any], bytes]:
        with self._lock:
            assert self._process.stdin is not None
            try:
                write_frame(self._process.stdin, json.dumps(message, ensure_ascii=False).encode())
                if payload is not None:
                    write_frame(self._process.stdin, payload)
            except OSError as exc:
                raise SynthesisError("the PaddleSpeech worker is gone") from exc
            answer = self._json()
            if "error" in answer:
                raise SynthesisError(f"PaddleSpeech: {answer['error']}")
            data = self._frame() if message.get("op") == "tts" else b""
            return answer, data

    def blocked(self) -> list[str]:
        """Network attempts the worker's guard refused since it started (empty, we expect)."""
        return list(self.request({"op": "guard"})[0]["blocked"])

    def _frame(self) -> bytes:
        assert self._process.stdout is not None
        return read_frame(self._process.stdout)

    def _json(self) -> dict[str, Any]:
        found = json.loads(self._frame())
        return found if isinstance(found, dict) else {"error": "bad answer"}

    def close(self) -> None:
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class PaddleRecognizer:
    name: ClassVar[str] = "paddle"

    def __init__(self, model_dir: Path | None = None, **_: Any) -> None:
        # beam_size and the like are Whisper's options; the Conformer's are in its model.yaml.
        self.worker = PaddleWorker(asr_dir=model_dir or configured("VOICE_PADDLE_ASR_DIR"))

    def transcribe(self, pcm: bytes, rate: int) -> str:
        answer, _ = self.worker.request({"op": "asr"}, audio.resample(pcm, rate, RATE))
        return str(answer.get("text", ""))


class PaddleSynthesizer:
    name: ClassVar[str] = "paddle"

    def __init__(self, model_dir: Path | None = None) -> None:
        self.worker = PaddleWorker(tts_dir=model_dir or configured("VOICE_PADDLE_TTS_DIR"))
        self.rate = self.worker.rate

    def synthesize(self, words: str) -> bytes:
        _, pcm = self.worker.request({"op": "tts", "text": for_speech(words)})
        return pcm
