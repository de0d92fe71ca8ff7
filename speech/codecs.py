"""WeChat voice messages → 16-bit mono PCM at 16 kHz, the recognizer's rate.

The format is read from the bytes, not from WeChat's ``Format`` field (a hint at most):

- **AMR** in the RFC 4867 storage format, ``#!AMR\\n`` (narrowband, 8 kHz, what WeChat sends
  as ``Format`` amr) or ``#!AMR-WB\\n``. Decoded by ffmpeg in a subprocess, so that a decoder
  crash on hostile input costs a process, not the gateway. ffmpeg exits 0 on noise behind a
  valid header, so the frames are walked here first (each frame's first byte gives its
  size): that refuses garbage and gives the duration before any decoding.
- **SILK v3**: WeChat's files start with ``\\x02#!SILK_V3``, the reference encoder's with
  ``#!SILK_V3``; then 20 ms packets, each after a little-endian 16-bit length. WeChat ends
  the file with length -1 (``\\xff\\xff``), which silk-python (``pysilk``) would read as a
  packet and fail on: the packets are walked here and handed over without the end mark, to
  silk-python in a subprocess (it aborts on some damaged packets).

A voice message is at most 60 s long; longer audio is refused before it is decoded.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import sys
from pathlib import Path

from speech.errors import AudioTooLongError, EngineUnavailableError, UndecodableAudioError

RATE = 16000
MAX_SECONDS = 60.0
# WeChat stops recording at 60 s; the last frames of a full-length message may run over.
SLACK_S = 0.5
FRAME_S = 0.02
DECODER_TIMEOUT_S = 10.0

AMR_NB = b"#!AMR\n"
AMR_WB = b"#!AMR-WB\n"
SILK = b"#!SILK_V3"
SILK_WECHAT = b"\x02" + SILK
# Speech bytes after the one-byte frame header, by frame type (3GPP TS 26.101 / 26.201);
# missing types are reserved and mean the data is not AMR.
_AMR_NB_SIZES = {**dict(enumerate((12, 13, 15, 17, 19, 20, 26, 31, 5))), 15: 0}
_AMR_WB_SIZES = {**dict(enumerate((17, 23, 32, 36, 40, 46, 50, 58, 60, 5))), 14: 0, 15: 0}
_SILK_MAX_PACKET = 1250  # the SILK SDK's largest payload
_CODE_ROOT = Path(__file__).resolve().parents[1]  # where ``-m speech.codecs`` is found


def sniff(data: bytes) -> str | None:
    """``amr`` or ``silk`` from the magic bytes; None for anything else."""
    if data.startswith((AMR_NB, AMR_WB)):
        return "amr"
    if data.startswith((SILK, SILK_WECHAT)):
        return "silk"
    return None


def decode(data: bytes, fmt: str = "") -> tuple[bytes, int]:
    """(16-bit mono PCM, its rate) of a voice message; ``fmt`` is what the sender claimed."""
    kind = sniff(data)
    if kind == "amr":
        return _ffmpeg_amr(data, _amr_frames(data)), RATE
    if kind == "silk":
        return _silk(_silk_packets(data)), RATE
    raise UndecodableAudioError(f"neither AMR nor SILK (said to be {fmt[:16]!r}, {len(data)} bytes)")


def _check_length(frames: int) -> None:
    if frames == 0:
        raise UndecodableAudioError("no whole frame")
    if frames * FRAME_S > MAX_SECONDS + SLACK_S:
        raise AudioTooLongError(f"{frames * FRAME_S:.1f} s")


def _amr_frames(data: bytes) -> int:
    wide = data.startswith(AMR_WB)
    sizes = _AMR_WB_SIZES if wide else _AMR_NB_SIZES
    pos, frames = len(AMR_WB if wide else AMR_NB), 0
    while pos < len(data):
        kind = (data[pos] >> 3) & 0x0F
        if kind not in sizes:
            raise UndecodableAudioError(f"AMR frame type {kind} at byte {pos}")
        end = pos + 1 + sizes[kind]
        if end > len(data):
            break  # a cut-off last frame: the rest still plays
        pos, frames = end, frames + 1
    _check_length(frames)
    return frames


def _ffmpeg_amr(data: bytes, frames: int) -> bytes:
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise EngineUnavailableError("ffmpeg is not installed (scripts/debian-packages.sh)")
    command = [binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "amr", "-i", "pipe:0",
               "-ac", "1", "-ar", str(RATE), "-f", "s16le", "pipe:1"]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=DECODER_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise UndecodableAudioError("ffmpeg timed out") from exc
    except OSError as exc:
        raise EngineUnavailableError(f"ffmpeg: {type(exc).__name__}") from exc
    if done.returncode != 0 or not done.stdout:
        raise UndecodableAudioError(f"ffmpeg exit {done.returncode} on {frames} frames")
    return done.stdout


def _silk_packets(data: bytes) -> list[bytes]:
    pos = len(SILK_WECHAT if data.startswith(SILK_WECHAT) else SILK)
    packets: list[bytes] = []
    while pos + 2 <= len(data):
        (size,) = struct.unpack_from("<h", data, pos)
        if size < 0:
            break  # WeChat's end mark
        if size > _SILK_MAX_PACKET:
            raise UndecodableAudioError(f"SILK packet of {size} bytes at byte {pos}")
        packet = data[pos + 2:pos + 2 + size]
        if len(packet) < size:
            break  # a cut-off last packet
        if packet:  # an empty packet is a lost one: nothing to decode
            packets.append(packet)
        pos += 2 + size
    _check_length(len(packets))
    return packets


def _silk(packets: list[bytes]) -> bytes:
    # In a process of its own, like ffmpeg: silk-python corrupts its heap (and aborts) on
    # some damaged packets, and a voice message is input from anyone.
    clean = SILK + b"".join(struct.pack("<h", len(p)) + p for p in packets)
    command = [sys.executable, "-m", "speech.codecs", "silk"]
    try:
        done = subprocess.run(command, input=clean, capture_output=True, timeout=DECODER_TIMEOUT_S,
                              cwd=_CODE_ROOT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise UndecodableAudioError("SILK decoder timed out") from exc
    if done.returncode != 0 or not done.stdout:
        raise UndecodableAudioError(f"SILK decoder exit {done.returncode} on {len(packets)} packets")
    return done.stdout


def _silk_worker() -> int:
    """stdin: SILK v3 without WeChat's end mark → stdout: PCM at :data:`RATE`."""
    import pysilk

    out = io.BytesIO()
    try:
        pysilk.decode(io.BytesIO(sys.stdin.buffer.read()), out, RATE)
    except Exception as exc:  # pysilk.SilkError, or its own checks' TypeError
        print(f"SILK: {exc}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(_silk_worker() if sys.argv[1:] == ["silk"] else 64)
