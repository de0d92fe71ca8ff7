"""Channel adapters and their registry (name → class), selected by the route."""

from channels.adapters.base import ChannelAdapter, registry
from channels.adapters.sms import SmsAdapter
from channels.adapters.voice import VoiceAdapter
from channels.adapters.webchat import WebChatAdapter
from channels.adapters.wechat import WeChatAdapter

__all__ = ["ChannelAdapter", "SmsAdapter", "VoiceAdapter", "WeChatAdapter", "WebChatAdapter", "registry"]
