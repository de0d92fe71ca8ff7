"""``python -m voice``: the voice service until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal

from channels import logs
from voice.service import VoiceService, load_engines
from voice.settings import VoiceSettings


async def serve(settings: VoiceSettings) -> None:
    engines = await asyncio.to_thread(load_engines, settings)
    service = await VoiceService.start(settings, engines)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await service.stop()
        close = getattr(engines.synthesizer, "close", None)
        if close is not None:
            close()


def main() -> None:
    settings = VoiceSettings()  # type: ignore[call-arg]  # secrets come from the environment
    logs.configure(settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
