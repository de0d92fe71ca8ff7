"""What a channel adapter is: parse a request into messages, render replies for it.

Adapters never see FastAPI: routes hand them plain data. Timing and length rules of a
channel (WeChat's 5 seconds, SMS segments, voice barge-in) live in its adapter.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from channels.inbound import BotReply, Capabilities


class ChannelAdapter(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def render(self, reply: BotReply) -> Any:
        """The reply in the channel's own form."""
        ...


registry: dict[str, type[ChannelAdapter]] = {}


def register(cls: type[ChannelAdapter]) -> type[ChannelAdapter]:
    registry[cls.name] = cls
    return cls
