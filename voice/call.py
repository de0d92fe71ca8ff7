"""The call flow: greet, listen, answer, re-prompt on silence, transfer on 0 or on request.

The flow only speaks and listens; SIP (hanging up, REFER) is the server's, reached
through the two callables it is given. Barge-in: a prompt stops as soon as the caller
starts speaking or presses a key.
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
from voice.dialogue import GatewayDialogue
from voice.media import Key, Media

log = structlog.get_logger(__name__)

GREETING = "您好，这里是12333人社服务热线智能客服。请简单说出您要咨询的问题，转人工服务请按0。"
REPROMPT = "您还在吗？请说出您要咨询的问题，转人工服务请按0。"
NOT_HEARD = "抱歉，没有听清，请您再说一遍。"
GOODBYE = "感谢您的来电，再见。"
TRANSFER = "正在为您转接人工服务，请稍候。"
PROMPTS = (GREETING, REPROMPT, NOT_HEARD, GOODBYE, TRANSFER)
HUMAN_KEY = "0"


@dataclass
class Engines:
    recognizer: Recognizer
    synthesizer: Synthesizer
    prompts: PromptCache


@dataclass
class CallRecord:
    """What happened in a call, for the log line at its end (no words, no numbers)."""

    turns: int = 0
    intents: list[str] = field(default_factory=list)
    reprompts: int = 0
    barge_ins: int = 0
    keys: str = ""
    outcome: str = "hangup"
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
                self.record.keys += event.key
                if event.key == HUMAN_KEY:
                    await self.transfer()
                    return
                continue
            if isinstance(event, Ended):
                if not await self.answer(event.pcm):
                    return

    async def answer(self, pcm: bytes) -> bool:
        """One utterance: recognise, ask the dialogue, speak; False when the call moves on."""
        started = time.perf_counter()
        words = await asr.recognise(self.engines.recognizer, pcm, 8000)
        log.info("voice.recognised", seconds=round(time.perf_counter() - started, 2), chars=len(words))
        if not words:
            await self.say_prompt(NOT_HEARD)
            return True
        turn = await self.dialogue.turn(self.call_id, words)
        self.record.turns += 1
        self.record.intents.append(turn.intent or "")
        if turn.text:
            pcm_reply = await asyncio.to_thread(to_telephone, self.engines.synthesizer, turn.text)
            self.record.reply_ms.append(round((time.perf_counter() - started) * 1000))
            await self.say(pcm_reply)
        if turn.handoff:
            await self.transfer(announce=False)
            return False
        return True

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
        pcm = await asyncio.to_thread(self.engines.prompts.telephone, words)
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
