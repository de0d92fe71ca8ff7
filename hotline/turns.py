"""One run per message, however often it is delivered, and none cut short by a caller
that gave up. Standard library only: Rasa's channel (bot/channel.py) uses it.

The gateway waits ``RASA_TIMEOUT_S`` for a turn and then redelivers it later; Sanic cancels
a handler whose client has gone. Run inside the handler, a turn that outlasts the gateway's
patience (a slow action, a queue behind the conversation's lock on a busy Rasa) would be
thrown away every time and each redelivery would start it again. Here the turn runs in a
task of its own; a caller's cancellation leaves it running, and a delivery of the same
message while it runs waits for that task instead of starting another.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Hashable

logger = logging.getLogger(__name__)


class Turns:
    def __init__(self) -> None:
        self._running: Dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, start: Callable[[], Awaitable[Any]]) -> Any:
        """The result of the turn ``key``: started by ``start()`` unless already running."""
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(start())
            self._running[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled() and done.exception() is not None:
            logger.warning("turn failed: %s", type(done.exception()).__name__)

    def __len__(self) -> int:
        return len(self._running)
