"""Channel adapters and their registry (name → class), selected by the route."""

from channels.adapters.base import ChannelAdapter, registry
from channels.adapters.webchat import WebChatAdapter

__all__ = ["ChannelAdapter", "WebChatAdapter", "registry"]
