"""PaddleSpeech behind a pipe, run by the PaddleSpeech environment (``.venv/paddle``).

Started by :mod:`speech.paddle` with the model directories the operator configured; it
never takes a model *tag*, so nothing is ever downloaded. The network guard
(:mod:`speech.netguard`) is installed before PaddleSpeech is imported, and the executors'
``__call__`` (which posts usage statistics to the vendor) is never used: loading goes
through ``_init_from_path`` with explicit files and inference through
``preprocess``/``infer``/``postprocess``. The Chinese text front end is built with
``g2p_model="pypinyin"``; its default (G2PW) would fetch a model.

Frames are length-prefixed (4 bytes big-endian) as in :mod:`speech.zhtts_worker`. The
first frame is a JSON hello. A request is a JSON frame, for ``asr`` followed by one frame
of 16-bit mono PCM; the answer is a JSON frame, for ``tts`` followed by one PCM frame.
``{"op": "guard"}`` answers with the network attempts the guard refused so far.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import struct
import sys
import traceback
import wave
from pathlib import Path
from typing import IO, Any, Iterator

from speech import netguard

ASR_MODEL = "conformer_wenetspeech"
AM, VOC = "fastspeech2_csmsc", "hifigan_csmsc"


def send(out: IO[bytes], data: bytes) -> None:
    out.write(struct.pack(">I", len(data)) + data)
    out.flush()


def receive(source: IO[bytes]) -> bytes | None:
    head = source.read(4)
    if len(head) != 4:
        return None
    (size,) = struct.unpack(">I", head)
    data = source.read(size)
    return data if len(data) == size else None


def asr_files(directory: Path) -> tuple[Path, Path]:
    """``model.yaml`` and its checkpoint (without ``.pdparams``), as the releases lay them out."""
    config = directory / "model.yaml"
    checkpoints = sorted(directory.glob("exp/*/checkpoints/*.pdparams"))
    if not config.is_file() or not checkpoints:
        raise FileNotFoundError(f"{directory}: no model.yaml and exp/*/checkpoints/*.pdparams")
    return config, checkpoints[0].with_suffix("")


def tts_files(directory: Path) -> dict[str, Path]:
    """The acoustic model's folder holds ``phone_id_map.txt``; the vocoder's ``feats_stats.npy``."""
    am = next((p.parent for p in sorted(directory.glob("*/phone_id_map.txt"))), None)
    voc = next((p.parent for p in sorted(directory.glob("*/feats_stats.npy"))), None)
    if am is None or voc is None:
        raise FileNotFoundError(f"{directory}: no */phone_id_map.txt and */feats_stats.npy")

    def one(folder: Path, pattern: str) -> Path:
        found = sorted(folder.glob(pattern))
        if not found:
            raise FileNotFoundError(f"{folder}: no {pattern}")
        return found[-1]

    return {"am_config": one(am, "*.yaml"), "am_ckpt": one(am, "*.pdz"),
            "am_stat": one(am, "speech_stats.npy"), "phones_dict": am / "phone_id_map.txt",
            "voc_config": one(voc, "*.yaml"),
            "voc_ckpt": one(voc, "*.pdz"), "voc_stat": voc / "feats_stats.npy"}


class Recogniser:
    def __init__(self, directory: Path) -> None:
        from paddlespeech.cli.asr.infer import ASRExecutor

        config, checkpoint = asr_files(directory)
        self._dir = directory
        self._executor = ASRExecutor()
        self._executor.sample_rate = 16000
        self._executor.change_format = False  # the parent resamples to 16 kHz mono
        with inside(directory):  # model.yaml names data/… relative to the model's folder
            self._executor._init_from_path(model_type=ASR_MODEL, lang="zh", sample_rate=16000,
                                           cfg_path=str(config), ckpt_path=str(checkpoint),
                                           decode_method="attention_rescoring")

    def transcribe(self, pcm: bytes) -> str:
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(pcm)
        buffer.seek(0)
        with inside(self._dir):
            self._executor.preprocess(ASR_MODEL, buffer)
        self._executor.infer(ASR_MODEL)
        return str(self._executor.postprocess() or "")


class Synthesiser:
    def __init__(self, directory: Path) -> None:
        from paddlespeech.cli.tts import infer as tts_infer
        from paddlespeech.t2s.frontend.zh_frontend import Frontend

        def pypinyin_frontend(lang: str = "zh", phones_dict: Any = None, tones_dict: Any = None,
                              **_: Any) -> Any:
            return Frontend(phone_vocab_path=phones_dict, tone_vocab_path=tones_dict, g2p_model="pypinyin")

        tts_infer.get_frontend = pypinyin_frontend  # the executor's default front end fetches G2PW
        files = tts_files(directory)
        self._executor = tts_infer.TTSExecutor()
        self._executor._init_from_path(am=AM, voc=VOC, lang="zh", **{k: str(v) for k, v in files.items()})
        import yaml

        self.rate = int(yaml.safe_load(files["am_config"].read_text())["fs"])

    def synthesize(self, words: str) -> bytes:
        import numpy as np

        self._executor.infer(text=words, lang="zh", am=AM)
        wave_out = np.asarray(self._executor._outputs["wav"].numpy(), dtype=np.float32).reshape(-1)
        return (np.clip(wave_out, -1.0, 1.0) * 32767).astype("<i2").tobytes()


@contextlib.contextmanager
def inside(directory: Path) -> Iterator[None]:
    """Work in ``directory`` (PaddleSpeech reads model-relative paths from the cwd); Python
    3.10 has no ``contextlib.chdir``."""
    previous = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


def without_english_g2p() -> None:
    """PaddleSpeech's front-end package imports ``g2p_en``, which on import asks NLTK to
    download a tagger and CMUdict from GitHub. The hotline speaks Chinese through the
    ``zh`` front end only, so ``g2p_en`` is replaced by a module that refuses to be used."""
    import types

    module = types.ModuleType("g2p_en")

    class G2p:
        def __init__(self, *_: object, **__: object) -> None:
            raise RuntimeError("the English front end is not available offline")

    module.G2p = G2p  # type: ignore[attr-defined]
    sys.modules.setdefault("g2p_en", module)


def main(argv: list[str] | None = None) -> int:
    netguard.install()  # before PaddleSpeech is imported: its imports already look around
    without_english_g2p()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GLOG_minloglevel", "2")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--asr", type=Path)
    parser.add_argument("--tts", type=Path)
    args = parser.parse_args(argv)
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # PaddleSpeech prints; keep the pipe for frames
    hello: dict[str, Any] = {}
    recogniser = synthesiser = None
    try:
        for directory, files in ((args.asr, asr_files), (args.tts, tts_files)):
            if directory:
                files(directory.resolve())  # a wrong folder is told at once, before the slow imports
        recogniser = Recogniser(args.asr.resolve()) if args.asr else None
        synthesiser = Synthesiser(args.tts.resolve()) if args.tts else None
    except Exception as exc:  # reported to the parent, which calls the engine unavailable
        traceback.print_exc()
        hello["error"] = f"{type(exc).__name__}: {exc}"
    hello.update(asr=recogniser is not None, tts=synthesiser is not None,
                 rate=synthesiser.rate if synthesiser else 0, blocked=netguard.attempts)
    send(out, json.dumps(hello).encode())
    if "error" in hello:
        return 1
    source = sys.stdin.buffer
    while (frame := receive(source)) is not None:
        request = json.loads(frame)
        try:
            if request.get("op") == "asr":
                pcm = receive(source) or b""  # read even when refused: the next frame is a request
                if recogniser is None:
                    raise LookupError("no recognition model configured")
                send(out, json.dumps({"text": recogniser.transcribe(pcm)}, ensure_ascii=False).encode())
            elif request.get("op") == "tts" and synthesiser is not None:
                pcm = synthesiser.synthesize(str(request.get("text", "")))
                send(out, json.dumps({"rate": synthesiser.rate}).encode())
                send(out, pcm)
            elif request.get("op") == "guard":
                send(out, json.dumps({"blocked": netguard.attempts}).encode())
            else:
                send(out, json.dumps({"error": f"unsupported op {request.get('op')!r}"}).encode())
        except Exception as exc:
            print(f"paddlespeech failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            send(out, json.dumps({"error": type(exc).__name__}).encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
