"""Elder-friendly phone service (issue 16): slow mode, repeat on demand, keypad entry.

The call flow runs with plain fakes for media, engines and gateway (as in
test_voice_flow.py); the slow engines say everything with a 慢 in front, so a test can
hear which voice spoke.
"""

from __future__ import annotations

import asyncio

from channels.verification import ASK_ID, ASK_PHONE
from speech.vad import Ended
from tests.unit.test_voice_flow import ANSWER, FakeMedia, Prompts, Synthesizer, _said
from voice import keypad
from voice.call import (
    ACCEPTANCE_KEYPAD_HINT,
    GREETING,
    KEYPAD_HINT,
    NOT_HEARD,
    OFFER_HUMAN,
    SLOW_END_SILENCE_MS,
    SLOWER,
    STRUGGLING,
    CallFlow,
    Engines,
)
from voice.dialogue import Turn
from voice.keypad import Entry
from voice.media import Key

FALLBACK = Turn("抱歉，我没有理解您的问题，请换个说法。", intent="nlu_fallback")
ASK_ACCEPTANCE = "请把受理编号发给我，我帮您查询办理进度。"


class SlowPrompts:
    def telephone(self, words: str) -> bytes:
        return ("慢" + words).encode() * 20


class SlowSynthesizer(Synthesizer):
    def synthesize(self, words: str) -> bytes:
        return ("慢" + words).encode() * 20


class Heard:
    """The recognizer: one text per utterance, in order."""

    name = "fake"

    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)

    def transcribe(self, pcm: bytes, rate: int) -> str:
        return self.texts.pop(0)


class Gateway:
    """One answer per text turn, in order; what was sent is kept."""

    def __init__(self, *turns: Turn) -> None:
        self.turns = list(turns)
        self.asked: list[str] = []

    async def turn(self, call_id: str, text: str, payload: str | None = None) -> Turn:
        self.asked.append(payload or text)
        if payload == "/request_human":
            return Turn("好的，正在为您转接人工客服。", handoff=True)
        return self.turns.pop(0) if self.turns else ANSWER


def _call(heard: Heard, gateway: Gateway, *events: object) -> tuple[CallFlow, FakeMedia, list[str]]:
    media = FakeMedia()
    for event in events:
        media.events.put_nowait(event)
    actions: list[str] = []

    async def transfer() -> None:
        actions.append("refer")

    async def hangup() -> None:
        actions.append("bye")

    engines = Engines(heard, Synthesizer(), Prompts(), SlowSynthesizer(), SlowPrompts())  # type: ignore[arg-type]
    flow = CallFlow("c1", media, engines, gateway, transfer, hangup,  # type: ignore[arg-type]
                    silence_s=0.05, reprompts=0)
    return flow, media, actions


def _speech() -> Ended:
    return Ended(b"\x00" * 3200)


async def _run(flow: CallFlow) -> None:
    await asyncio.wait_for(flow.run(), 10)


# -- slow mode ---------------------------------------------------------------------------------

async def test_asking_for_slower_speech_repeats_the_last_answer_slowly_and_stays_slow() -> None:
    gateway = Gateway(Turn("补办社保卡请带身份证到网点。"), Turn("可以在线办理。"))
    flow, media, _ = _call(Heard("社保卡丢了怎么办", "你说慢点", "能在网上办吗"), gateway,
                           _speech(), _speech(), _speech())
    await _run(flow)
    said = _said(media)
    assert said[:3] == [GREETING, "补办社保卡请带身份证到网点。", "慢" + SLOWER]
    assert said[3] == "慢补办社保卡请带身份证到网点。"        # the same answer, slower, no new turn
    assert said[4] == "慢可以在线办理。"                      # and slow for the rest of the call
    assert gateway.asked == ["社保卡丢了怎么办", "能在网上办吗"]
    assert media.end_silence_ms == SLOW_END_SILENCE_MS and flow.record.slow == "asked"


async def test_two_empty_recognitions_in_a_row_switch_slow_mode_on_and_offer_a_human() -> None:
    flow, media, _ = _call(Heard("", ""), Gateway(), _speech(), _speech())
    await _run(flow)
    assert _said(media)[1:3] == [NOT_HEARD, "慢" + STRUGGLING]
    assert "请按0" in STRUGGLING
    assert media.end_silence_ms == SLOW_END_SILENCE_MS and flow.record.slow == "misrecognised"


async def test_two_fallback_turns_in_a_row_switch_slow_mode_on_and_offer_a_human() -> None:
    flow, media, _ = _call(Heard("嗯那个", "就是那个"), Gateway(FALLBACK, FALLBACK), _speech(), _speech())
    await _run(flow)
    said = _said(media)
    assert said[1] == FALLBACK.text and OFFER_HUMAN not in said[:2]
    assert said[2:4] == ["慢" + FALLBACK.text, "慢" + OFFER_HUMAN]
    assert flow.record.slow == "misrecognised"


async def test_an_understood_turn_in_between_keeps_the_normal_pace() -> None:
    gateway = Gateway(FALLBACK, Turn("按月缴纳。", intent="faq"), FALLBACK)
    flow, media, _ = _call(Heard("嗯", "养老保险怎么交", "嗯"), gateway, _speech(), _speech(), _speech())
    await _run(flow)
    assert not flow.slow and media.end_silence_ms == 700
    assert not any(s.startswith("慢") for s in _said(media)) and OFFER_HUMAN not in _said(media)


# -- repeat ------------------------------------------------------------------------------------

async def test_the_star_key_repeats_the_last_answer_without_a_new_turn() -> None:
    gateway = Gateway(Turn("按月缴纳。"))
    flow, media, _ = _call(Heard("养老保险怎么交"), gateway, _speech(), Key("*"))
    await _run(flow)
    assert _said(media)[1:3] == ["按月缴纳。", "按月缴纳。"]
    assert gateway.asked == ["养老保险怎么交"] and flow.record.repeats == 1


async def test_saying_zai_shuo_yi_bian_repeats_the_last_answer() -> None:
    gateway = Gateway(Turn("按月缴纳。"))
    flow, media, _ = _call(Heard("养老保险怎么交", "请再说一遍。"), gateway, _speech(), _speech())
    await _run(flow)
    assert _said(media)[1:3] == ["按月缴纳。", "按月缴纳。"] and gateway.asked == ["养老保险怎么交"]


async def test_repeat_before_any_answer_replays_the_greeting_with_its_menu() -> None:
    flow, media, _ = _call(Heard(), Gateway(), Key("*"))
    await _run(flow)
    assert _said(media)[:2] == [GREETING, GREETING]
    assert "按1" in GREETING and "按0" in GREETING and "星号键" in GREETING


async def test_menu_key_two_asks_for_progress_through_the_dialogue() -> None:
    gateway = Gateway(Turn(ASK_ACCEPTANCE))
    flow, media, _ = _call(Heard(), gateway, Key("2"))
    await _run(flow)
    assert gateway.asked == ["查一下办理进度"]
    assert _said(media)[1:3] == [ASK_ACCEPTANCE, ACCEPTANCE_KEYPAD_HINT]


# -- keypad entry ------------------------------------------------------------------------------

async def test_a_keyed_id_number_ends_with_hash_and_star_is_x() -> None:
    gateway = Gateway(Turn(ASK_ID), Turn("请输入身份证上的姓名。"))
    keys = [Key(k) for k in "11010519491231002*#"]
    flow, media, _ = _call(Heard("查我的社保缴费记录"), gateway, _speech(), *keys)
    await _run(flow)
    assert gateway.asked == ["查我的社保缴费记录", "11010519491231002X"]
    assert KEYPAD_HINT in _said(media)
    # The number's digits are not kept in the call's record (it is logged).
    assert flow.record.keys == "" and flow.record.keyed_entries == 1


async def test_a_keyed_acceptance_number_gets_its_letters_from_their_keys() -> None:
    """SY on 7 and 9 (the letters printed on the keys), then the date and the serial."""
    answer = Turn("受理编号 SY20261103000123（失业保险金）目前的状态是：已受理。")
    gateway = Gateway(Turn(ASK_ACCEPTANCE), answer)
    keys = [Key(k) for k in "7920261103000123#"]
    flow, media, _ = _call(Heard(), gateway, Key("2"), *keys)
    await _run(flow)
    assert gateway.asked == ["查一下办理进度", "SY20261103000123"]
    assert ACCEPTANCE_KEYPAD_HINT in _said(media) and flow.record.keyed_entries == 1


def test_every_business_types_letters_fall_on_their_own_keys() -> None:
    from business.catalog import KIND_BY_PREFIX

    assert sorted(keypad.PREFIX_BY_KEYS.values()) == sorted(KIND_BY_PREFIX)
    assert keypad.acceptance_from_keys("4720261103000001") == "GS20261103000001"
    # Not sixteen keys, or letters on keys no type uses: passed on as keyed, for the bot to refuse.
    assert keypad.acceptance_from_keys("20261103000123") == "20261103000123"
    assert keypad.acceptance_from_keys("1120261103000123") == "1120261103000123"


async def test_zero_inside_a_keyed_number_is_a_digit_and_first_it_is_a_human() -> None:
    gateway = Gateway(Turn(ASK_PHONE))
    flow, _, actions = _call(Heard("我要实名认证"), gateway, _speech(), *[Key(k) for k in "13800138000#"])
    await _run(flow)
    assert gateway.asked == ["我要实名认证", "13800138000"] and "refer" not in actions

    gateway = Gateway(Turn(ASK_ID))
    flow, _, actions = _call(Heard("我要实名认证"), gateway, _speech(), Key("0"))
    await _run(flow)
    assert gateway.asked == ["我要实名认证", "/request_human"] and actions == ["refer"]


async def test_keys_without_a_question_for_a_number_are_no_entry() -> None:
    gateway = Gateway(Turn("按月缴纳。"))
    flow, _, _ = _call(Heard("养老保险怎么交"), gateway, _speech(), *[Key(k) for k in "5678#"])
    await _run(flow)
    assert gateway.asked == ["养老保险怎么交"]


def test_the_bots_questions_for_numbers_are_recognised() -> None:
    assert keypad.asks_for_digits(ASK_ID) == "id"
    assert keypad.asks_for_digits(ASK_ACCEPTANCE) == "acceptance"
    assert keypad.asks_for_digits(ASK_PHONE) == "digits"
    assert keypad.asks_for_digits("验证码已发送至手机138****5678，5分钟内有效，请输入6位验证码。") == "code"
    assert keypad.asks_for_digits("受理编号 SY20261103000123（失业保险金）目前的状态是：已受理。") is None
    assert keypad.asks_for_digits("请输入身份证上的姓名。") is None


def test_a_code_may_start_with_zero_and_star_repeats_outside_an_id() -> None:
    code = Entry("code")
    assert not code.means_human("0") and code.means_repeat("*")
    assert [code.press(k) for k in "012345#"][-1] == "012345"
    assert Entry("id").means_human("0") and not Entry("id").means_repeat("*")


def test_requests_are_short_utterances_not_questions_that_contain_the_words() -> None:
    assert keypad.wants_slow("说慢点") and keypad.wants_slow("听不清。") and keypad.wants_slow("慢一点好吗")
    assert keypad.wants_repeat("再说一遍") and keypad.wants_repeat("重复一下")
    assert not keypad.wants_repeat("重复参保的费用可以退回吗")
    assert not keypad.wants_slow("养老金发放速度能不能慢一点到账")
