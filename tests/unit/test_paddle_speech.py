"""PaddleSpeech's own loading and inference code, run on tiny random-weight models laid out
like its released archives (speech/paddle_tiny.py), in its own environment, behind a guard
that refuses and records every attempt to reach the network."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from hotline import paths
from speech import audio, paddle, recognizer, synthesizer
from speech.errors import EngineUnavailableError
from speech.paddle_tiny import CHARS

ENV = {**os.environ, "PYTHONPATH": str(paths.ROOT), "PPSPEECH_HOME": str(paddle.STATE / "home")}


@pytest.fixture(scope="module")
def paddle_python() -> Path:
    if not paddle.PYTHON.exists():
        reason = "no PaddleSpeech environment: scripts/setup.sh paddle (make test runs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return paddle.PYTHON


@pytest.fixture(scope="module")
def tiny(paddle_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("paddle-models")
    (paddle.STATE / "home").mkdir(parents=True, exist_ok=True)
    subprocess.run([str(paddle_python), "-m", "speech.paddle_tiny", str(root)], cwd=root, env=ENV,
                   check=True, capture_output=True, timeout=600)
    return root


@pytest.fixture(scope="module")
def engines(tiny: Path) -> Iterator[tuple[paddle.PaddleRecognizer, paddle.PaddleSynthesizer]]:
    asr = recognizer.build("paddle", model_dir=tiny / "asr")
    tts = synthesizer.build("paddle", model_dir=tiny / "tts")
    assert isinstance(asr, paddle.PaddleRecognizer) and isinstance(tts, paddle.PaddleSynthesizer)
    yield asr, tts
    asr.worker.close()
    tts.worker.close()


def test_speech_is_synthesized_and_recognised_from_local_models_without_the_network(
        engines: tuple[paddle.PaddleRecognizer, paddle.PaddleSynthesizer]) -> None:
    asr, tts = engines
    assert tts.rate == 24000
    pcm = tts.synthesize("补办社保卡请拨打12333。")
    # ~4 frames a phone (the tiny model's duration bias) × 300 samples: a few tenths of a second.
    assert 0.1 < audio.duration_s(pcm, tts.rate) < 30
    assert any(pcm[i] for i in range(0, len(pcm), 97)), "the vocoder produced only silence"
    call = synthesizer.to_telephone(tts, "养老金怎么领取")   # as a caller's line would carry it
    heard = asr.transcribe(call, audio.TELEPHONE_RATE)
    assert set(heard) <= set(CHARS), heard  # decoded over the model's own vocabulary
    assert asr.worker.blocked() == [] and tts.worker.blocked() == []


def test_the_guard_sees_paddlespeech_reach_out(paddle_python: Path, tiny: Path, tmp_path: Path) -> None:
    """What the guard is there for: the executor's own ``__call__``, on the same local model,
    posts usage statistics to the vendor; the guard refuses and records it."""
    wav = tmp_path / "question.wav"
    wav.write_bytes(audio.write_wav(audio.resample(audio.silence(1000), audio.TELEPHONE_RATE, 16000), 16000))
    script = ("import json, os, sys, time\n"
              "from speech import netguard, paddle_worker\n"
              "netguard.install(); paddle_worker.without_english_g2p()\n"
              "from paddlespeech.cli.asr.infer import ASRExecutor\n"
              "config, checkpoint = paddle_worker.asr_files(paddle_worker.Path(sys.argv[1]))\n"
              "os.chdir(sys.argv[1])\n"
              "ASRExecutor()(audio_file=sys.argv[2], model='conformer_wenetspeech', config=str(config),\n"
              "              ckpt_path=str(checkpoint), force_yes=True)\n"
              "time.sleep(2)  # the statistics go out from a thread\n"
              "print(json.dumps(netguard.attempts))\n")
    done = subprocess.run([str(paddle_python), "-c", script, str(tiny / "asr"), str(wav)], cwd=tmp_path,
                          env=ENV, check=True, capture_output=True, text=True, timeout=300)
    attempts = json.loads(done.stdout.strip().splitlines()[-1])
    assert any("paddlepaddle.org.cn" in a for a in attempts), attempts


def test_without_models_paddlespeech_is_unavailable(paddle_python: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICE_PADDLE_ASR_DIR", raising=False)
    monkeypatch.delenv("VOICE_PADDLE_TTS_DIR", raising=False)
    with pytest.raises(EngineUnavailableError, match="VOICE_PADDLE_ASR_DIR"):
        recognizer.build("paddle")
    with pytest.raises(EngineUnavailableError, match="does not exist"):
        synthesizer.build("paddle", model_dir=tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EngineUnavailableError, match=r"model\.yaml"):
        recognizer.build("paddle", model_dir=tmp_path / "empty")
