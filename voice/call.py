"""The call flow: greet, listen, answer, re-prompt on silence, transfer on 0 or on request.

The flow only speaks and listens; SIP (hanging up, REFER) is the server's, reached
through the two callables it is given. Barge-in: a prompt stops as soon as the caller
starts speaking or presses a key.

Elder-friendly (issue 16): keypad-first menu in the greeting, ``*`` or 再说一遍 repeats the
last answer without a new turn, and a slow mode (slower speech, longer trailing silence
before an utterance ends) that the caller asks for (说慢点, 听不清) or that two
misrecognitions in a row switch on, with the offer of a human; it stays on for the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import structlog

from speech import recognizer as asr
from speech.recognizer import Recognizer
from speech.synthesizer import PromptCache, Synthesizer, to_telephone
from speech.vad import Ended, Started
from voice import keypad
from voice.dialogue import GatewayDialogue, Turn
from voice.keypad import HUMAN_KEY, REPEAT_KEY, Entry
from voice.media import Key, Media

log = structlog.get_logger(__name__)

GREETING = ("您好，这里是12333人社服务热线智能客服。请直接说出您的问题；"
            "咨询政策请按1，查询办理进度请按2，转人工请按0，重听请按星号键。")
REPROMPT = "您还在吗？请说出您要咨询的问题，转人工服务请按0。"
NOT_HEARD = "抱歉，没有听清，请您再说一遍。"
STRUGGLING = "抱歉，还是没有听清。我会说慢一点，请您慢慢说。如需人工服务请按0。"
OFFER_HUMAN = "如需人工服务请按0。"
SLOWER = "好的，我会说慢一点。"
KEYPAD_HINT = "也可以用电话按键输入，输完请按井号键。"
# A 受理编号's two letters are keyed on the keys that carry them (voice/keypad.py).
ACCEPTANCE_KEYPAD_HINT = ("也可以用电话按键输入：字母请按印有它的数字键，比如S和Y按7和9，"
                          "数字照常按，输完请按井号键。")
GOODBYE = "感谢您的来电，再见。"
TRANSFER = "正在为您转接人工服务，请稍候。"
PROMPTS = (GREETING, REPROMPT, NOT_HEARD, STRUGGLING, OFFER_HUMAN, SLOWER, KEYPAD_HINT,
           ACCEPTANCE_KEYPAD_HINT, GOODBYE, TRANSFER,
           *(prompt for prompt, _ in keypad.MENU.values() if prompt))
REQUEST_HUMAN = "/request_human"
FALLBACK_INTENTS = frozenset({"nlu_fallback"})
MISSES_BEFORE_SLOW = 2          # misrecognitions in a row (nothing heard, or not understood)
SLOW_END_SILENCE_MS = 1200      # the usual 700 ms cuts a slow speaker off mid-sentence
SLOW_SILENCE_FACTOR = 1.5       # and more time to think before a re-prompt


@dataclass
class Engines:
    recognizer: Recognizer
    synthesizer: Synthesizer
    prompts: PromptCache
    # The same voice, slower (slow mode); None when the engine has no speed to set.
    slow_synthesizer: Synthesizer | None = None
    slow_prompts: PromptCache | None = None


@dataclass
class CallRecord:
    """What happened in a call, for the log line at its end (no words, no numbers)."""

    turns: int = 0
    intents: list[str] = field(default_factory=list)
    reprompts: int = 0
    barge_ins: int = 0
    keys: str = ""                 # menu and command keys only, never keyed-in numbers
    outcome: str = "hangup"
    slow: str = ""                 # why slow mode came on: "asked" or "misrecognised"
    repeats: int = 0
    keyed_entries: int = 0
    reply_ms: list[int] = field(default_factory=list)   # end of the caller's speech → reply audio


class CallFlow:
    def __init__(self, call_id: str, media: Media, engines: Engines, dialogue: GatewayDialogue,
                 transfer: Callable[[], Awaitable[None]], hangup: Callable[[], Awaitable[None]],
                 silence_s: float = 8.0, reprompts: int = 2, on_silence: str = "goodbye") -> None:
        self.call_id = call_id
        self.media = media
        self.engines = engines
        self.dialogue = dialogue
        self._transfer = transfer
        self._hangup = hangup
        self.silence_s = silence_s
        self.max_reprompts = reprompts
        self.on_silence = on_silence
        self.record = CallRecord()
        self._pending: list[Started | Ended | Key] = []
        self._entry: Entry | None = None   # the bot asked for a number: keys until #
        self._misses = 0
        self._last_answer = ""
        self.slow = False

    async def run(self) -> None:
        await self.say_prompt(GREETING)
        silent = 0
        while True:
            event = await self.next_event(self.silence_s)
            if event is None:
                silent += 1
                if silent > self.max_reprompts:
                    await self.finish_silent()
                    return
                self.record.reprompts += 1
                await self.say_prompt(REPROMPT)
                continue
            silent = 0
            if isinstance(event, Key):
                if not await self.key(event.key):
                    return
            elif isinstance(event, Ended):
                if not await self.answer(event.pcm):
                    return

    async def key(self, key: str) -> bool:
        """One keypad digit; False when the call moves on (transfer)."""
        entry = self._entry
        if entry is not None and not entry.means_human(key) and not entry.means_repeat(key):
            keyed = entry.press(key)
            if keyed is None:
                return True
            self._entry = None
            if not keyed:
                return True
            self.record.keyed_entries += 1
            return await self.converse(keyed)
        self.record.keys += key
        if key == HUMAN_KEY:
            return await self.ask_for_human()
        if key == REPEAT_KEY:
            await self.repeat()
            return True
        prompt, text = keypad.MENU.get(key, ("", None))
        if prompt:
            await self.say_prompt(prompt)
        if text:
            return await self.converse(text)
        return True

    async def answer(self, pcm: bytes) -> bool:
        """One utterance: recognise, ask the dialogue, speak; False when the call moves on."""
        started = time.perf_counter()
        self._entry = None   # spoke instead of keying
        words = await asr.recognise(self.engines.recognizer, pcm, 8000)
        log.info("voice.recognised", seconds=round(time.perf_counter() - started, 2), chars=len(words))
        if not words:
            if self.missed():
                await self.say_prompt(STRUGGLING)
            else:
                await self.say_prompt(NOT_HEARD)
            return True
        if keypad.wants_slow(words):
            self.slow_down("asked")
            await self.say_prompt(SLOWER)
            await self.repeat(count=False)
            return True
        if keypad.wants_repeat(words):
            await self.repeat()
            return True
        return await self.converse(words, started)

    async def converse(self, text: str, started: float | None = None) -> bool:
        turn = await self.dialogue.turn(self.call_id, text)
        self.note(turn)
        struggling = turn.intent in FALLBACK_INTENTS and self.missed()
        if turn.intent not in FALLBACK_INTENTS:
            self._misses = 0
        if turn.text:
            await self.speak(turn.text, started)
        if turn.handoff:
            await self.transfer(announce=False)
            return False
        if struggling:
            await self.say_prompt(OFFER_HUMAN)
        kind = keypad.asks_for_digits(turn.text)
        if kind is not None:
            self._entry = Entry(kind)
            await self.say_prompt(ACCEPTANCE_KEYPAD_HINT if kind == "acceptance" else KEYPAD_HINT)
        return True

    async def ask_for_human(self) -> bool:
        """Keypad 0: through the gateway first, so that the conversation is queued for the
        agents with its identity context (their screen-pop), then REFER. Outside agents'
        hours the bot's answer (when they are back, a callback) is spoken and the call goes on."""
        turn = await self.dialogue.turn(self.call_id, "", payload=REQUEST_HUMAN)
        if turn.failed:   # no gateway: the PBX's own agent queue still takes the caller
            await self.transfer()
            return False
        self.note(turn)
        if turn.handoff:
            if turn.text:
                await self.speak(turn.text, interruptible=False)
            await self.transfer(announce=not turn.text)
            return False
        await self.speak(turn.text or NOT_HEARD)
        return True

    def note(self, turn: Turn) -> None:
        if not turn.failed:
            self.record.turns += 1
            self.record.intents.append(turn.intent or "")

    def missed(self) -> bool:
        """Count a misrecognition; True from the second in a row (slow mode is then on)."""
        self._misses += 1
        if self._misses < MISSES_BEFORE_SLOW:
            return False
        self.slow_down("misrecognised")
        return True

    def slow_down(self, why: str) -> None:
        if self.slow:
            return
        self.slow = True
        self.record.slow = why
        self.silence_s *= SLOW_SILENCE_FACTOR
        self.media.be_patient(SLOW_END_SILENCE_MS)
        log.info("voice.slow_mode", why=why)

    async def repeat(self, count: bool = True) -> None:
        """The last answer again (the greeting, with its menu, before any), no new turn."""
        if count:
            self.record.repeats += 1
        if self._last_answer:
            await self.speak(self._last_answer)
        else:
            await self.say_prompt(GREETING)

    async def speak(self, words: str, started: float | None = None, interruptible: bool = True) -> None:
        self._last_answer = words
        engine = self.engines.slow_synthesizer if self.slow and self.engines.slow_synthesizer else \
            self.engines.synthesizer
        pcm = await asyncio.to_thread(to_telephone, engine, words)
        if started is not None:
            self.record.reply_ms.append(round((time.perf_counter() - started) * 1000))
        await self.say(pcm, interruptible)

    async def finish_silent(self) -> None:
        if self.on_silence == "transfer":
            await self.transfer()
            return
        self.record.outcome = "goodbye"
        await self.say_prompt(GOODBYE, interruptible=False)
        await self._hangup()

    async def transfer(self, announce: bool = True) -> None:
        self.record.outcome = "transfer"
        if announce:
            await self.say_prompt(TRANSFER, interruptible=False)
        await self._transfer()

    async def say_prompt(self, words: str, interruptible: bool = True) -> None:
        prompts = self.engines.slow_prompts if self.slow and self.engines.slow_prompts else \
            self.engines.prompts
        pcm = await asyncio.to_thread(prompts.telephone, words)
        await self.say(pcm, interruptible)

    async def say(self, pcm: bytes, interruptible: bool = True) -> None:
        """Play ``pcm``; stop early when the caller speaks or presses a key (barge-in)."""
        playing = asyncio.create_task(self.media.play(pcm))
        getter: asyncio.Task[Started | Ended | Key] | None = None
        try:
            while not playing.done():
                getter = asyncio.create_task(self.media.events.get())
                done, _ = await asyncio.wait({playing, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    event = getter.result()
                    self._pending.append(event)
                    if interruptible and isinstance(event, (Started, Key)):
                        self.record.barge_ins += 1
                        playing.cancel()
                else:
                    getter.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await getter
        finally:
            if getter is not None and not getter.done():
                getter.cancel()   # the call ended mid-prompt
            if not playing.done():
                playing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await playing

    async def next_event(self, timeout_s: float) -> Started | Ended | Key | None:
        """The next key or finished utterance; None after ``timeout_s`` of nothing at all."""
        while True:
            if self._pending:
                event = self._pending.pop(0)
            else:
                try:
                    event = await asyncio.wait_for(self.media.events.get(), timeout_s)
                except asyncio.TimeoutError:
                    return None
            if isinstance(event, Started):
                # The caller is talking: wait for the end of the utterance without a deadline
                # (the endpointer closes an utterance after at most 15 seconds).
                timeout_s = 60.0
                continue
            return event
