"""WeChat's voice formats decoded for the recognizer: real speech (espeak-ng) encoded to
SILK v3 by silk-python and to AMR-NB by sox, decoded back; garbage, damaged and overlong
files refused with the codecs' own errors."""

from __future__ import annotations

import audioop
import io
import random
import shutil
import struct
import subprocess

import numpy as np
import pysilk
import pytest

from speech import audio, codecs, synthesizer
from speech.errors import AudioTooLongError, UndecodableAudioError

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
QUESTION = "社保卡丢了怎么办"


def _sox_amr() -> bool:
    if shutil.which("sox") is None:
        return False
    formats = subprocess.run(["sox", "-h"], capture_output=True, text=True, check=False).stdout
    return " amr-nb " in formats


needs_sox = pytest.mark.skipif(not _sox_amr(), reason="sox with AMR-NB is not installed")


@pytest.fixture(scope="module")
def speech() -> tuple[bytes, int]:
    engine = synthesizer.EspeakSynthesizer()
    return engine.synthesize(QUESTION), engine.rate


def silk(pcm: bytes, rate: int, wechat: bool = True) -> bytes:
    """What WeChat sends: SILK v3 at 24 kHz with its 0x02 prefix and its -1 end mark."""
    out = io.BytesIO()
    pysilk.encode(io.BytesIO(audio.resample(pcm, rate, 24000)), out, 24000, 24000, tencent=wechat)
    return out.getvalue() + (b"\xff\xff" if wechat else b"")


def amr(pcm: bytes, rate: int) -> bytes:
    wav = audio.write_wav(audio.resample(pcm, rate, 8000), 8000)
    return subprocess.run(["sox", "-t", "wav", "-", "-t", "amr-nb", "-C", "7", "-"], input=wav,
                          capture_output=True, check=True).stdout


def envelope(pcm: bytes) -> np.ndarray:
    return np.array([audioop.rms(f, 2) for f in audio.frames(pcm, 320)], dtype=float)


def assert_same_speech(decoded: bytes, rate: int, original: bytes, original_rate: int) -> None:
    assert rate == codecs.RATE
    # Within a few codec frames: encoders drop the last partial frame.
    assert abs(audio.duration_s(decoded, rate) - audio.duration_s(original, original_rate)) < 0.15
    # A lossy codec keeps the loudness contour of speech, not its samples.
    a, b = envelope(audio.resample(original, original_rate, rate)), envelope(decoded)
    n = min(len(a), len(b))
    assert np.corrcoef(a[:n], b[:n])[0, 1] > 0.9


def test_wechat_silk_decodes_to_the_same_speech(speech: tuple[bytes, int]) -> None:
    data = silk(*speech)
    assert data.startswith(b"\x02#!SILK_V3") and data.endswith(b"\xff\xff")
    assert_same_speech(*codecs.decode(data, "silk"), *speech)


def test_standard_silk_without_wechats_prefix_decodes(speech: tuple[bytes, int]) -> None:
    data = silk(*speech, wechat=False)
    assert data.startswith(b"#!SILK_V3")
    assert_same_speech(*codecs.decode(data), *speech)


@needs_sox
def test_amr_nb_decodes_to_the_same_speech(speech: tuple[bytes, int]) -> None:
    data = amr(*speech)
    assert data.startswith(b"#!AMR\n")
    assert_same_speech(*codecs.decode(data, "amr"), *speech)


def test_the_bytes_decide_the_format_not_the_claim(speech: tuple[bytes, int]) -> None:
    assert codecs.sniff(silk(*speech)) == "silk"
    assert_same_speech(*codecs.decode(silk(*speech), "amr"), *speech)  # WeChat says amr for SILK too


@pytest.mark.parametrize("data", [b"", b"hello", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"#!AMR\n",
                                  b"\x02#!SILK_V3", bytes(range(256)) * 4])
def test_what_is_not_amr_or_silk_is_refused(data: bytes) -> None:
    with pytest.raises(UndecodableAudioError):
        codecs.decode(data, "amr")


def test_a_wav_file_is_refused(speech: tuple[bytes, int]) -> None:
    with pytest.raises(UndecodableAudioError):
        codecs.decode(audio.write_wav(*speech), "amr")


def test_noise_behind_an_amr_header_is_refused() -> None:
    # ffmpeg itself decodes this to noise and exits 0.
    noise = random.Random(7).randbytes(2000)
    with pytest.raises(UndecodableAudioError):
        codecs.decode(codecs.AMR_NB + noise, "amr")


def test_damaged_silk_is_refused_without_taking_the_process_down() -> None:
    # silk-python aborts (heap corruption) on these packets when it runs in-process.
    rng = random.Random(1)
    body = b"".join(struct.pack("<h", n) + rng.randbytes(n) for n in (rng.randint(1, 300) for _ in range(50)))
    with pytest.raises(UndecodableAudioError):
        codecs.decode(codecs.SILK_WECHAT + body, "silk")


def _amr_of(seconds: float) -> bytes:
    return codecs.AMR_NB + (b"\x3c" + bytes(31)) * round(seconds / codecs.FRAME_S)  # 12.2 kbit/s frames


def test_sixty_seconds_is_the_limit() -> None:
    pcm, rate = codecs.decode(_amr_of(60.0), "amr")
    assert audio.duration_s(pcm, rate) == pytest.approx(60.0, abs=0.05)
    with pytest.raises(AudioTooLongError):
        codecs.decode(_amr_of(61.0), "amr")
    # Refused from the packet count, before any decoding: these packets are not even SILK.
    with pytest.raises(AudioTooLongError):
        codecs.decode(codecs.SILK_WECHAT + (struct.pack("<h", 3) + b"abc") * 3100, "silk")
