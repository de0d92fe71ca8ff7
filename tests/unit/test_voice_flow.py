"""The call flow with the media, engines and gateway replaced by plain fakes."""

from __future__ import annotations

import asyncio
from typing import Any

from speech.vad import Ended, Started
from voice import call as flow_module
from voice.call import GOODBYE, GREETING, NOT_HEARD, REPROMPT, TRANSFER, CallFlow, Engines
from voice.dialogue import Turn
from voice.media import Key


class FakeMedia:
    def __init__(self) -> None:
        self.events: asyncio.Queue[Any] = asyncio.Queue()
        self.played: list[bytes] = []
        self.cut: list[bytes] = []
        self.end_silence_ms = 700

    def be_patient(self, end_silence_ms: int) -> None:
        self.end_silence_ms = end_silence_ms

    async def play(self, pcm: bytes) -> None:
        self.played.append(pcm)
        try:
            await asyncio.sleep(len(pcm) / 16000)   # as long as 8 kHz audio lasts
        except asyncio.CancelledError:
            self.cut.append(pcm)
            raise


class Prompts:
    def telephone(self, words: str) -> bytes:
        return words.encode() * 20   # a few hundred ms of "audio" that remembers its words


class Recognizer:
    name = "fake"

    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, pcm: bytes, rate: int) -> str:
        return self.text


class Synthesizer:
    name = "fake"
    rate = 8000

    def synthesize(self, words: str) -> bytes:
        return words.encode() * 20


HANDOFF = Turn("好的，正在为您转接人工客服，请稍候。", handoff=True)


class Dialogue:
    """The gateway: ``turn`` for every text, ``human`` for keypad 0's /request_human."""

    def __init__(self, turn: Turn, human: Turn = HANDOFF) -> None:
        self.turn_given = turn
        self.human = human
        self.asked: list[str] = []

    async def turn(self, call_id: str, text: str, payload: str | None = None) -> Turn:
        self.asked.append(payload or text)
        return self.human if payload == "/request_human" else self.turn_given


ANSWER = Turn("答复")


def _flow(heard: str = "", turn: Turn = ANSWER,
          dialogue: Dialogue | None = None) -> tuple[CallFlow, FakeMedia, list[str], Dialogue]:
    media = FakeMedia()
    actions: list[str] = []
    dialogue = dialogue or Dialogue(turn)

    async def transfer() -> None:
        actions.append("refer")

    async def hangup() -> None:
        actions.append("bye")

    engines = Engines(Recognizer(heard), Synthesizer(), Prompts())  # type: ignore[arg-type]
    flow = CallFlow("c1", media, engines, dialogue, transfer, hangup,  # type: ignore[arg-type]
                    silence_s=0.05, reprompts=2)
    return flow, media, actions, dialogue


def _said(media: FakeMedia) -> list[str]:
    return [pcm[: len(pcm) // 20].decode() for pcm in media.played]


async def test_silence_reprompts_twice_then_says_goodbye_and_hangs_up() -> None:
    flow, media, actions, _ = _flow()
    await asyncio.wait_for(flow.run(), 10)
    assert _said(media) == [GREETING, REPROMPT, REPROMPT, GOODBYE]
    assert actions == ["bye"] and flow.record.outcome == "goodbye"


async def test_zero_interrupts_the_greeting_queues_through_the_gateway_then_transfers() -> None:
    flow, media, actions, dialogue = _flow()
    media.events.put_nowait(Key("0"))
    await asyncio.wait_for(flow.run(), 10)
    # The gateway heard the request first (it queues the call for the agents' screen-pop).
    assert dialogue.asked == ["/request_human"]
    assert media.cut and _said(media) == [GREETING, "好的，正在为您转接人工客服，请稍候。"]
    assert actions == ["refer"] and flow.record.barge_ins == 1 and flow.record.outcome == "transfer"


async def test_zero_outside_agents_hours_speaks_the_bots_answer_and_stays_on_the_line() -> None:
    closed = Turn("现在是非工作时间，人工客服的服务时间为工作日9:00-17:00。可以回复回电预约。")
    flow, media, actions, _ = _flow(dialogue=Dialogue(ANSWER, human=closed))
    media.events.put_nowait(Key("0"))
    await asyncio.wait_for(flow.run(), 10)
    assert closed.text in _said(media)
    assert "refer" not in actions and flow.record.outcome == "goodbye"


async def test_zero_still_transfers_when_the_gateway_is_down() -> None:
    down = Turn("抱歉，系统暂时繁忙。", failed=True)
    flow, media, actions, _ = _flow(dialogue=Dialogue(ANSWER, human=down))
    media.events.put_nowait(Key("0"))
    await asyncio.wait_for(flow.run(), 10)
    assert _said(media)[-1] == TRANSFER and actions == ["refer"]


async def test_an_utterance_is_recognised_corrected_and_answered() -> None:
    flow, media, _, dialogue = _flow(heard="養老抱歉怎麼腳廢", turn=Turn("按月缴纳。"))
    media.events.put_nowait(Started())
    media.events.put_nowait(Ended(b"\x00" * 3200))
    await asyncio.wait_for(flow.run(), 10)
    assert dialogue.asked == ["养老保险怎么缴费"]
    assert "按月缴纳。" in _said(media)
    assert flow.record.turns == 1


async def test_nothing_recognised_asks_again_without_a_turn() -> None:
    flow, media, _, dialogue = _flow(heard="")
    media.events.put_nowait(Ended(b"\x00" * 3200))
    await asyncio.wait_for(flow.run(), 10)
    assert NOT_HEARD in _said(media) and dialogue.asked == []


async def test_a_handoff_answer_transfers_without_another_prompt() -> None:
    flow, media, actions, _ = _flow(heard="转人工", turn=Turn("好的，为您转人工。", handoff=True))
    media.events.put_nowait(Ended(b"\x00" * 3200))
    await asyncio.wait_for(flow.run(), 10)
    assert actions == ["refer"] and TRANSFER not in _said(media)


def test_prompts_are_fixed_chinese_sentences() -> None:
    assert all(p.endswith("。") for p in flow_module.PROMPTS)
