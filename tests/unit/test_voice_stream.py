"""``/voice/stream`` end to end in one process: a real WebSocket, the real call flow and VAD;
the recognizer is a fake, the gateway a MockTransport that checks the signature."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
import websockets

from channels.adapters.voice import VoiceAdapter
from hotline import signing
from speech import audio, synthesizer
from voice.call import Engines
from voice.service import VoiceService
from voice.settings import VoiceSettings

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
TOKEN = "t" * 32


class Heard:
    name = "fake"

    def transcribe(self, pcm: bytes, rate: int) -> str:
        return "社保卡丢了怎么办"


class Gateway:
    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        signing.verify(b"s" * 32, request.content, request.headers)
        self.asked.append(json.loads(request.content))
        if self.asked[-1].get("payload") == "/request_human":   # keypad 0, within agents' hours
            return httpx.Response(200, json={"conversation": "c", "message_id": "m", "status": "answered",
                                             "text": "正在为您转接。", "handoff": True,
                                             "meta": {"intent": "request_human"}})
        return httpx.Response(200, json={"conversation": "c", "message_id": "m", "status": "answered",
                                         "text": "请到就近网点补办。", "handoff": False,
                                         "meta": {"intent": "faq"}})


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[VoiceService, Gateway]]:
    espeak = synthesizer.EspeakSynthesizer(speed=400)
    engines = Engines(Heard(), espeak, synthesizer.PromptCache(espeak, tmp_path))  # type: ignore[arg-type]
    gateway = Gateway()
    settings = VoiceSettings.model_validate({
        "signing_secret": "s" * 32, "pseudonym_secret": "p" * 32, "sip_port": 0, "stream_port": 0,
        "stream_token": TOKEN, "silence_s": 5})
    running = await VoiceService.start(settings, engines, transport=httpx.MockTransport(gateway))
    yield running, gateway
    await running.stop()


def _url(service: VoiceService) -> str:
    port = service.stream.sockets[0].getsockname()[1]
    return f"ws://127.0.0.1:{port}/voice/stream"


async def _connect(service: VoiceService, token: str = TOKEN) -> Any:
    return await websockets.connect(_url(service),  # type: ignore[attr-defined]
                                    extra_headers={"Authorization": f"Bearer {token}"})


async def _until_text(ws: Any) -> tuple[dict[str, Any], int]:
    """The next control message, and how many bytes of audio came before it."""
    heard = 0
    while True:
        message = await asyncio.wait_for(ws.recv(), 30)
        if isinstance(message, bytes):
            heard += len(message)
        else:
            return json.loads(message), heard


async def test_keypad_zero_transfers_with_the_context(service: tuple[VoiceService, Gateway]) -> None:
    ws = await _connect(service[0])
    await ws.send(json.dumps({"type": "start", "call_id": "pbx-call-7", "rate": 16000}))
    first = await asyncio.wait_for(ws.recv(), 10)
    # 20 ms at 16 kHz (give or take the resampler's one-sample lag): the greeting begins.
    assert isinstance(first, bytes) and abs(len(first) - 640) <= 2
    await ws.send(json.dumps({"type": "dtmf", "digit": "0"}))
    control, _ = await _until_text(ws)
    assert control == {"type": "transfer", "target": "sip:agents@127.0.0.1",
                       "context": VoiceAdapter.conversation(b"p" * 32, "pbx-call-7")}
    # The gateway was asked first: that queues the call for the agents' screen-pop.
    assert [a.get("payload") for a in service[1].asked] == ["/request_human"]
    await ws.close()


async def test_speech_is_answered_with_speech(service: tuple[VoiceService, Gateway]) -> None:
    running, gateway = service
    ws = await _connect(running)
    await ws.send(json.dumps({"type": "start", "call_id": "pbx-call-8", "rate": 8000}))
    question = synthesizer.to_telephone(synthesizer.EspeakSynthesizer(), "社保卡丢了怎么办")
    for frame in audio.frames(question + audio.silence(1500)):
        await ws.send(frame)
        await asyncio.sleep(0.002)
    for _ in range(200):
        if gateway.asked:
            break
        await asyncio.sleep(0.05)
    assert [a["text"] for a in gateway.asked] == ["社保卡丢了怎么办"]
    answer = synthesizer.to_telephone(synthesizer.EspeakSynthesizer(speed=400), "请到就近网点补办。")
    received = 0
    while received < len(answer) // 2:   # the answer is being spoken back
        message = await asyncio.wait_for(ws.recv(), 10)
        received += len(message) if isinstance(message, bytes) else 0
    await ws.send(json.dumps({"type": "hangup"}))
    await ws.close()


async def test_a_wrong_token_is_refused(service: tuple[VoiceService, Gateway]) -> None:
    ws = await _connect(service[0], token="x" * 32)
    with pytest.raises(websockets.ConnectionClosed) as closed:  # type: ignore[attr-defined]
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.code == 1008
